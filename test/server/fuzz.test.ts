// A bounded fuzz of random and hostile query strings and path ids across the endpoint table: no answer may be
// a 5xx, and every answer is JSON with either the envelope or a status payload. Seeded, so failures replay.
import { expect, it } from "vitest";
import { ENDPOINTS, readStatusInfo } from "../../oneroster/index.js";
import { describeEachDb } from "../support/each-db.js";
import { useSeededProvider } from "../support/seeded-provider.js";

/** mulberry32: a tiny seeded PRNG so every run sends the same requests. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTILE = [
  "",
  " ",
  "'",
  "''",
  "%",
  "%zz",
  "%00",
  "%2F",
  "\\",
  "\u0000",
  "😀",
  "Ø",
  "null",
  "undefined",
  "NaN",
  "-0",
  "1e309",
  "99999999999999999999999",
  "0x10",
  "' OR '1'='1",
  "'; drop table provider.users; --",
  "$1",
  "::text",
  "a".repeat(3000),
  "status='active'",
  "status='active' AND role='student'",
  "role='x' OR role='y' AND a='b'",
  "dateLastModified>'2026-01-01'",
  "dateLastModified>'2026-13-45'",
  "dateLastModified>'0000-00-00T00:00:00Z'",
  "score>'abc'",
  "orgs.sourcedId='x'",
  "a.b.c='d'",
  "sourcedId~'%'",
  "givenName~'\\'",
  "metadata='x'",
  "userIds.identifier~'_'",
  "enabledUser='TRUE'",
  "sort",
  "asc",
  "desc",
  "sourcedId",
  "familyName",
  "dateLastModified",
  ",,,",
  "sourcedId,,givenName",
  "children",
  "terms",
  "[]",
  "{}",
];
const NAMES = [
  "limit",
  "offset",
  "sort",
  "orderBy",
  "filter",
  "fields",
  "limit",
  "filter",
  "x",
  "LIMIT",
  "filter[]",
  "",
  "%",
  "fields",
];

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)] as T;
}

/** Encodes some values properly and leaves others raw, as sloppy clients do. */
function queryString(r: () => number): string {
  const parts: string[] = [];
  const n = Math.floor(r() * 5);
  for (let i = 0; i < n; i++) {
    const name = pick(r, NAMES);
    const value = r() < 0.3 ? String(Math.floor(r() * 20000) - 100) : pick(r, HOSTILE);
    const raw = r() < 0.25;
    parts.push(
      `${raw ? name : encodeURIComponent(name)}=${raw ? value.replace(/[#&\s]/g, "") : encodeURIComponent(value)}`,
    );
  }
  return parts.join("&");
}

function pathFor(r: () => number, template: string): string {
  return template.replace(/\{(\w+)\}/g, () => {
    const id = pick(r, ["org-d000", "x", "%2F..%2F", "..", "%", "😀", "a".repeat(500), "' or 1=1 --", "%00"]);
    return id.startsWith("%") ? id : encodeURIComponent(id);
  });
}

describeEachDb("fuzzed query strings", (kind) => {
  const sp = useSeededProvider(kind);

  it("never answers 5xx, always with JSON the client can read", async () => {
    const r = rng(20261123);
    const failures: string[] = [];
    for (let i = 0; i < 300; i++) {
      const endpoint = pick(r, ENDPOINTS);
      const method = r() < 0.9 ? endpoint.method : pick(r, ["GET", "PUT", "DELETE", "PATCH", "POST"]);
      const url = `${sp.provider.baseUrl}${pathFor(r, endpoint.path)}?${queryString(r)}`;
      const body =
        method === "PUT"
          ? pick(r, ['{"category":{"title":"f"}}', "{", "[]", '{"lineItem":null}', '{"result":{"score":"x"}}', ""])
          : undefined;
      const res = await sp.api(url, {
        method,
        ...(body !== undefined ? { body, headers: { "content-type": "application/json" } } : {}),
      });
      if (res.status >= 500) {
        failures.push(`${method} ${url.slice(0, 200)} → ${res.status} ${res.text.slice(0, 200)}`);
        continue;
      }
      if (res.status === 204 || (method === "DELETE" && res.status === 200)) {
        continue;
      }
      const ok =
        res.body !== undefined && (res.body[endpoint.envelope] !== undefined || readStatusInfo(res.body).length > 0);
      if (!ok) {
        failures.push(`${method} ${url.slice(0, 200)} → ${res.status} unreadable body ${res.text.slice(0, 120)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
