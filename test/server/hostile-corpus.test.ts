// A generated hostile-input corpus (issue 8, "Tests"): well over 1,000 query strings, path ids, PUT bodies, token
// requests, headers and raw malformed HTTP requests per backend, from a seeded PRNG so any failure replays. No
// answer may be a 5xx; every 4xx is a OneRoster status payload (RFC 6749 JSON at the token endpoint).
import { connect } from "node:net";
import { beforeAll, expect, it } from "vitest";
import { ENDPOINTS, readStatusInfo } from "../../oneroster/index.js";
import { describeEachDb } from "../support/each-db.js";
import { useSeededProvider } from "../support/seeded-provider.js";

/** mulberry32: a tiny seeded PRNG so every run sends the same requests. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ADMIN = "admin-token-for-the-hostile-corpus-01";

const STRINGS = [
  "",
  " ",
  "'",
  "''",
  "%",
  "%zz",
  "%00",
  "\u0000",
  "\u0001",
  "\u200b",
  "\ufeff",
  "😀",
  "Ø'Brien",
  "null",
  "NaN",
  "-0",
  "1e309",
  "-1e309",
  "99999999999999999999999",
  "0x10",
  "' OR '1'='1",
  "'; drop table provider.users; --",
  "$1",
  "::text",
  "\\",
  "\\u0000",
  "a".repeat(300),
  "a".repeat(5000),
  "é".repeat(2000),
  "../../etc/passwd",
  "<script>alert(1)</script>",
  "$" + "{jndi:ldap://x}", // a log4shell probe, spelled in two parts for the linter
  "%252e%252e",
];
const DATES = [
  "2026-02-30",
  "2026-02-29",
  "2028-02-29",
  "0000-01-01",
  "0001-01-01",
  "9999-12-31",
  "9999-12-31T23:59:59-14:00",
  "9999-12-31T23:59:59Z",
  "2026-13-01",
  "2026-00-10",
  "2026-01-00",
  "2026-01-01T24:00:00Z",
  "2026-01-01T23:60:00Z",
  "2026-01-01T23:59:60Z",
  "2026-01-01T00:00:00+15:00",
  "2026-01-01T00:00:00+0530",
  "2026-01-01T00:00:00.123456789Z",
  "2026-1-1",
  "26-01-01",
  "+002026-01-01",
  "2026-01-01T00:00:00",
  "today",
];
const FIELDS = [
  "sourcedId",
  "status",
  "dateLastModified",
  "birthDate",
  "startDate",
  "score",
  "enabledUser",
  "primary",
  "role",
  "orgs.sourcedId",
  "userIds.identifier",
  "metadata",
  "a.b.c",
  "givenName",
  "familyName",
  "title",
  "scoreDate",
  "dueDate",
];
const OPS = ["=", "!=", ">", ">=", "<", "<=", "~", "==", "<>", ""];

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)] as T;
}

function hostileValue(r: () => number): string {
  const roll = r();
  return roll < 0.4 ? pick(r, STRINGS) : roll < 0.8 ? pick(r, DATES) : String(Math.floor(r() * 4e9) - 2e9);
}

function filter(r: () => number): string {
  const terms = r() < 0.1 ? 1 + Math.floor(r() * 400) : 1 + Math.floor(r() * 3);
  const join = r() < 0.5 ? " AND " : r() < 0.8 ? " OR " : pick(r, [" and ", " AND  ", " XOR ", ""]);
  return Array.from({ length: terms }, () => `${pick(r, FIELDS)}${pick(r, OPS)}'${hostileValue(r)}'`).join(join);
}

function queryString(r: () => number): string {
  const parts: string[] = [];
  for (let i = Math.floor(r() * 5); i > 0; i--) {
    const name = pick(r, ["limit", "offset", "sort", "orderBy", "filter", "fields", "filter", "x", "LIMIT", "", "%"]);
    const value =
      name === "filter"
        ? filter(r)
        : name === "fields"
          ? Array.from({ length: 1 + Math.floor(r() * (r() < 0.1 ? 800 : 4)) }, () => pick(r, FIELDS)).join(",")
          : hostileValue(r);
    const raw = r() < 0.2;
    parts.push(
      `${raw ? name : encodeURIComponent(name)}=${raw ? value.replace(/[#&\s%]/g, "") : encodeURIComponent(value)}`,
    );
  }
  return parts.join("&");
}

function hostileId(r: () => number): string {
  const id = pick(r, [
    ...STRINGS,
    "org-d000",
    "x",
    "%2F..%2F",
    "..",
    "a".repeat(257),
    "a".repeat(256),
    "x".repeat(2700),
  ]);
  return id.startsWith("%") ? id : encodeURIComponent(id);
}

/** `{"a":[[…]]}` nested `depth` deep, as text. */
const deep = (depth: number) => `{"a":${"[".repeat(depth)}${"]".repeat(depth)}}`;

function putBody(
  r: () => number,
  envelope: string,
  refs: { classId: string; lineItemId: string; studentId: string },
): string {
  const base: Record<string, Record<string, unknown>> = {
    category: { title: "corpus" },
    lineItem: {
      title: "corpus",
      assignDate: "2026-09-01",
      dueDate: "2026-09-10",
      class: { sourcedId: refs.classId },
      resultValueMin: 0,
      resultValueMax: 10,
    },
    result: {
      lineItem: { sourcedId: refs.lineItemId },
      student: { sourcedId: refs.studentId },
      scoreStatus: "fully graded",
      score: 5,
      scoreDate: "2026-09-11",
    },
  };
  const roll = r();
  if (roll < 0.08) {
    return pick(r, ["", "{", "[]", "null", "1", '"x"', "{}", `{"${envelope}":null}`, `{"${envelope}":[]}`, "\u0000"]);
  }
  if (roll < 0.14) {
    return `{"${envelope}":{"title":"t","metadata":${deep(pick(r, [33, 200, 1500, 50_000]))}}}`;
  }
  const object = { ...(base[envelope] ?? base.category) } as Record<string, unknown>;
  for (let i = 1 + Math.floor(r() * 3); i > 0; i--) {
    const field = pick(r, [
      ...Object.keys(object),
      "sourcedId",
      "status",
      "metadata",
      "category",
      "gradingPeriod",
      "comment",
      "extra",
    ]);
    object[field] = pick(r, [
      hostileValue(r),
      pick(r, DATES),
      null,
      true,
      -0,
      1e308,
      -1,
      [],
      {},
      { sourcedId: hostileValue(r) },
      { sourcedId: "x".repeat(2700) },
      { sourcedId: "" },
      ["a", 1, null],
      "tobedeleted",
      "inactive",
    ]);
  }
  const text = JSON.stringify({ [envelope]: object });
  return r() < 0.05 ? text.replace('"title"', '"ti\\u0000tle"') : text;
}

function tokenBody(r: () => number): { body: string; type: string; auth?: string } {
  const params = [
    ["grant_type", pick(r, ["client_credentials", "password", "", hostileValue(r)])],
    ["client_id", pick(r, ["rosterlab-test-client", "", hostileValue(r), "a\u0000b", "é", "c".repeat(10_000)])],
    ["client_secret", pick(r, ["rosterlab-test-secret-0123456789", "", hostileValue(r)])],
    ["scope", pick(r, ["", "x", hostileValue(r), "https://purl.imsglobal.org/spec/or/v1p1/scope/roster.readonly"])],
  ].filter(() => r() < 0.8);
  const type = pick(r, [
    "application/x-www-form-urlencoded",
    "application/json",
    "",
    "text/plain",
    "multipart/form-data",
  ]);
  const body =
    type === "application/json"
      ? r() < 0.2
        ? pick(r, ["", "{", "[]", deep(2000), '{"grant_type":1}'])
        : JSON.stringify(Object.fromEntries(params))
      : params.map(([k, v]) => `${encodeURIComponent(k ?? "")}=${encodeURIComponent(v ?? "")}`).join("&");
  const auth =
    r() < 0.3
      ? pick(r, [
          `Basic ${Buffer.from("rosterlab-test-client:rosterlab-test-secret-0123456789").toString("base64")}`,
          `Basic ${Buffer.from("a%00b:secret").toString("base64")}`,
          `Basic ${Buffer.from("no-colon").toString("base64")}`,
          `Basic ${Buffer.from("%zz:%zz").toString("base64")}`,
          "Basic !!!",
          "Bearer x",
          "Digest x",
          `Basic ${"A".repeat(8000)}`,
        ])
      : undefined;
  return { body, type, ...(auth ? { auth } : {}) };
}

/**
 * Raw HTTP requests a fetch client would never send, each half-closed after sending (as a client that gives up).
 * `{auth}` is replaced by a valid bearer header. A status payload must come back, except where closing without an
 * answer is right (`silent`): input that is no request at all, and bodies the client broke off. After each, the
 * provider must go on serving everyone: a broken-off body once tripped the database breaker (a 503 for all).
 */
const RAW_REQUESTS: { text: string; silent?: boolean }[] = [
  { text: "GET /ims/oneroster/v1p1/users HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0000b\r\n\r\n" },
  { text: `GET /ims/oneroster/v1p1/users HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n` },
  { text: `GET /ims/oneroster/v1p1/users?${"f".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n` },
  { text: "BREW /coffee HTCPCP/1.0\r\n\r\n" },
  { text: "GET / HTTP/9.9\r\nHost: x\r\n\r\n" },
  {
    text: "PUT /ims/oneroster/v1p1/categories/raw HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
  },
  { text: "PUT /ims/oneroster/v1p1/categories/raw HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n" },
  { text: "GET /ims/oneroster/v1p1/users HTTP/1.1\r\nHost: x\r\nBad Header Name: x\r\n\r\n" },
  { text: "GET /ims/oneroster/v1p1/users HTTP/1.1\r\nHost: x\r\n" },
  // Targets Node parses but no URL can hold: a backslash in the path, a broken absolute URL, a host with a path.
  { text: "GET /ims/oneroster/v1p1/users/a\\b HTTP/1.1\r\nHost: x\r\n{auth}\r\n" },
  { text: "GET http://[::1/ims/oneroster/v1p1/users HTTP/1.1\r\nHost: x\r\n\r\n" },
  { text: "GET /ims/oneroster/v1p1/users HTTP/1.1\r\nHost: x/y\r\n\r\n" },
  // Bodies that break off: a bad chunk, a short chunk, fewer bytes than Content-Length.
  {
    text: "PUT /ims/oneroster/v1p1/categories/raw HTTP/1.1\r\nHost: x\r\n{auth}Transfer-Encoding: chunked\r\n\r\nzz\r\n",
    silent: true,
  },
  {
    text: "PUT /ims/oneroster/v1p1/categories/raw HTTP/1.1\r\nHost: x\r\n{auth}Transfer-Encoding: chunked\r\n\r\n5\r\nabc",
    silent: true,
  },
  {
    text: 'PUT /ims/oneroster/v1p1/categories/raw HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: 50\r\n\r\n{"category":',
    silent: true,
  },
  { text: "POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\ngrant_type=client", silent: true },
  {
    text: 'PUT /admin/quirks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {admin}\r\nContent-Length: 100\r\n\r\n{"q',
    silent: true,
  },
  { text: "\r\n\r\n\r\n", silent: true },
  { text: "", silent: true },
];

/** Sends a raw request, half-closes, and reads whatever comes back until the server closes. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => socket.end(text));
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      answer += d;
    });
    socket.on("error", () => resolve(answer));
    socket.on("close", () => resolve(answer));
  });
}

describeEachDb("the hostile-input corpus", (kind) => {
  const sp = useSeededProvider(kind, { config: { adminToken: ADMIN } });
  const refs = { classId: "", lineItemId: "", studentId: "" };
  beforeAll(async () => {
    refs.classId = (await sp.api("/classes?limit=1&filter=classType%3D%27scheduled%27")).body.classes[0].sourcedId;
    refs.lineItemId = (await sp.api("/lineItems?limit=1")).body.lineItems[0].sourcedId;
    refs.studentId = (await sp.api("/students?limit=1")).body.users[0].sourcedId;
  });

  /** Judges one answer: never 5xx; a 4xx in the right error shape; a 2xx is JSON (or empty for 204). */
  function judge(label: string, status: number, text: string, tokenEndpoint: boolean, failures: string[]): void {
    const where = `${label} → ${status} ${text.slice(0, 160)}`;
    if (status >= 500 || status === 0) {
      failures.push(where);
      return;
    }
    // No body on 204, nor on any answer to HEAD (RFC 9110 §9.3.2); the GET it mirrors is judged elsewhere.
    if (status === 204 || label.startsWith("HEAD ")) {
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      failures.push(`${where} (not JSON)`);
      return;
    }
    if (status < 400) {
      return;
    }
    if (tokenEndpoint) {
      const e = body as { error?: unknown; error_description?: unknown };
      if (typeof e.error !== "string" || typeof e.error_description !== "string" || e.error_description === "") {
        failures.push(`${where} (not an RFC 6749 error)`);
      }
      return;
    }
    const [info] = readStatusInfo(body);
    if (info?.codeMajor !== "failure" || info.severity !== "error" || !info.codeMinor || !info.description) {
      failures.push(`${where} (not a status payload)`);
    }
  }

  it("answers 1,000+ generated requests without a 5xx, every 4xx in the status payload shape", async () => {
    const r = prng(kind === "pglite" ? 20261130 : 20261131);
    const failures: string[] = [];
    let sent = 0;
    const send = async (label: string, url: string, init: RequestInit, tokenEndpoint = false) => {
      sent++;
      let status = 0;
      let text = "";
      try {
        const res = await fetch(url, init);
        status = res.status;
        text = await res.text();
      } catch (e) {
        text = `fetch failed: ${(e as Error).message}`;
      }
      judge(label, status, text, tokenEndpoint, failures);
    };
    const bearer = () =>
      pick(r, [
        `Bearer ${sp.token}`,
        `Bearer ${sp.token}`,
        `Bearer ${sp.token}`,
        "",
        "Bearer",
        "Bearer x.y.z",
        `Bearer ${sp.token.slice(0, -3)}abc`,
        `Basic ${Buffer.from("a:b").toString("base64")}`,
        `Bearer ${"a".repeat(9000)}`,
        `bearer  ${sp.token}`,
      ]);

    // Reads: 500 query strings and path ids across the endpoint table.
    for (let i = 0; i < 500; i++) {
      const endpoint = pick(r, ENDPOINTS);
      const path = endpoint.path.replace(/\{(\w+)\}/g, () => hostileId(r));
      const method =
        r() < 0.9 ? endpoint.method : pick(r, ["GET", "PUT", "DELETE", "PATCH", "POST", "HEAD", "OPTIONS"]);
      const auth = bearer();
      await send(`${method} ${path}`, `${sp.provider.baseUrl}${path}?${queryString(r)}`, {
        method,
        headers: {
          ...(auth ? { authorization: auth } : {}),
          ...(r() < 0.2 ? { "x-request-id": pick(r, ["ok-id", "bad id", "x".repeat(200), "é"]) } : {}),
          ...(r() < 0.1 ? { accept: pick(r, ["text/html", "*/*", "application/xml"]) } : {}),
        },
        ...(method === "PUT" ? { body: putBody(r, endpoint.envelope, refs) } : {}),
      });
    }
    // Writes: 300 PUT bodies against the gradebook, with hostile ids now and then.
    for (let i = 0; i < 300; i++) {
      const [path, envelope] = pick(r, [
        ["/categories", "category"],
        ["/lineItems", "lineItem"],
        ["/results", "result"],
      ] as const);
      const id = r() < 0.2 ? hostileId(r) : `corpus-${i}`;
      await send(`PUT ${path}/${id.slice(0, 40)}`, `${sp.provider.baseUrl}${path}/${id}`, {
        method: "PUT",
        headers: {
          authorization: `Bearer ${sp.token}`,
          "content-type": pick(r, [
            "application/json",
            "application/json",
            "text/plain",
            "application/x-www-form-urlencoded",
          ]),
        },
        body: putBody(r, envelope, refs),
      });
    }
    // The token endpoint: 200 requests.
    for (let i = 0; i < 150; i++) {
      const { body, type, auth } = tokenBody(r);
      const method = r() < 0.95 ? "POST" : pick(r, ["GET", "PUT", "DELETE"]);
      await send(
        `token ${method} ${type} ${body.slice(0, 40)}`,
        sp.provider.tokenUrl,
        {
          method,
          headers: { ...(type ? { "content-type": type } : {}), ...(auth ? { authorization: auth } : {}) },
          ...(method === "GET" ? {} : { body }),
        },
        true,
      );
    }
    // The admin API, /health and unknown paths: 60 requests (never a valid quirk change, which would alter answers).
    for (let i = 0; i < 60; i++) {
      const path = pick(r, [
        "/admin/quirks",
        "/admin/clock",
        "/admin/clock/advance",
        "/health",
        "/",
        "/nope",
        "/admin/x",
      ]);
      const method = pick(r, ["GET", "PUT", "POST", "DELETE"]);
      await send(`${method} ${path}`, `${sp.provider.origin}${path}`, {
        method,
        headers: {
          authorization: pick(r, [`Bearer ${ADMIN}`, "Bearer wrong", ""]),
          "content-type": "application/json",
        },
        ...(method === "GET"
          ? {}
          : { body: pick(r, ["", "{", deep(40), '{"quirks":["no-such"]}', '{"days":0}', '{"days":"x"}']) }),
      });
    }
    // Raw malformed HTTP, each sent a few times.
    const port = Number(new URL(sp.provider.origin).port);
    for (let i = 0; i < 3; i++) {
      for (const raw of RAW_REQUESTS) {
        sent++;
        const text = raw.text.replace("{auth}", `Authorization: Bearer ${sp.token}\r\n`).replace("{admin}", ADMIN);
        const answer = await rawRequest(port, text);
        const after = await sp.api(`/orgs?limit=1&offset=${sent}`);
        judge(`a read after raw ${JSON.stringify(raw.text.slice(0, 60))}`, after.status, after.text, false, failures);
        if (raw.silent && answer === "") {
          continue;
        }
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
        const body = answer.slice(answer.indexOf("\r\n\r\n") + 4);
        judge(`raw ${JSON.stringify(raw.text.slice(0, 60))}`, status, body, text.startsWith("POST /oauth"), failures);
      }
    }
    expect(sent).toBeGreaterThanOrEqual(1000);
    expect(failures).toEqual([]);
    // And the provider is still up and serving: no input tripped the database breaker or the engine.
    expect((await sp.api("/orgs?limit=1&offset=1")).status).toBe(200);
    expect((await fetch(`${sp.provider.origin}/health`)).status).toBe(200);
  }, 300_000);
});
