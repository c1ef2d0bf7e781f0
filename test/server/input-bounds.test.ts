// Inputs that once broke the provider (issue 8, items 1-5), each answered with a 4xx status payload before it
// reaches the database: deep JSON, bodies past the limit (refused while they stream), impossible dates, oversized
// ids, malformed token requests, and URLs or Link headers too long for mainstream HTTP clients.
import { get, request } from "node:http";
import { beforeAll, describe, expect, it } from "vitest";
import { readStatusInfo } from "../../oneroster/index.js";
import {
  ADMIN_BODY_BYTES,
  JSON_MAX_DEPTH,
  LINK_HEADER_MAX_BYTES,
  PUT_BODY_BYTES,
  SOURCED_ID_MAX_LENGTH,
  TOKEN_BODY_BYTES,
  URL_MAX_LENGTH,
} from "../../server/http/limits.js";
import { describeEachDb } from "../support/each-db.js";
import { type ApiResponse, useSeededProvider } from "../support/seeded-provider.js";

const ADMIN_TOKEN = "admin-token-for-input-bounds-0123456789";

/** `{"a":{"a":…}}` nested `depth` objects deep, around a small value. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) {
    value = { a: value };
  }
  return value;
}

/** A 4xx status payload naming its problem: failure, error, a codeMinor and a description. */
function expectStatusPayload(res: ApiResponse, status: number, description?: RegExp): void {
  expect(res.status, res.text.slice(0, 300)).toBe(status);
  const [info] = readStatusInfo(res.body);
  expect(info).toMatchObject({ codeMajor: "failure", severity: "error" });
  expect(info?.codeMinor).toBeTruthy();
  if (description) {
    expect(info?.description).toMatch(description);
  }
}

interface StreamOutcome {
  status: number;
  connection: string | undefined;
  body: string;
  /** Bytes the client managed to hand to the socket before the server answered or hung up. */
  written: number;
}

/**
 * Sends a chunked body of up to `total` bytes (never a Content-Length), writing only as fast as the server reads
 * (backpressure), and stops when the answer arrives. A server that enforces its limit while streaming answers
 * after reading about that limit; one that buffers first reads all of it.
 */
function streamBody(url: string, method: string, headers: Record<string, string>, total: number) {
  return new Promise<StreamOutcome>((resolve, reject) => {
    const chunk = Buffer.alloc(64 * 1024, "a");
    let written = 0;
    let answered = false;
    const req = request(url, { method, headers: { ...headers, "transfer-encoding": "chunked" } }, (res) => {
      answered = true;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body, written }));
    });
    req.on("error", (e) => (answered ? undefined : reject(e)));
    const pump = () => {
      while (!answered && written < total && !req.destroyed) {
        written += chunk.length;
        if (!req.write(chunk)) {
          req.once("drain", pump);
          return;
        }
      }
      if (!answered && written >= total) {
        req.end();
      }
    };
    pump();
  });
}

describeEachDb("hostile inputs answered before they reach the database", (kind) => {
  const sp = useSeededProvider(kind, { config: { adminToken: ADMIN_TOKEN } });
  let classId = "";
  beforeAll(async () => {
    classId = (await sp.api("/classes?limit=1&filter=classType%3D%27scheduled%27")).body.classes[0].sourcedId;
  });
  const lineItem = (over: Record<string, unknown> = {}) => ({
    lineItem: {
      title: "Bounds",
      assignDate: "2026-09-01",
      dueDate: "2026-09-10",
      class: { sourcedId: classId },
      resultValueMin: 0,
      resultValueMax: 10,
      ...over,
    },
  });

  describe("item 1: JSON nesting is bounded before the database sees it", () => {
    it.each([1_500, 100_000])("answers 400 to metadata %i levels deep, and keeps serving", async (depth) => {
      // Built as text (JSON.stringify itself recurses and would overflow), of arrays so 100,000 levels fit the size
      // limit: this is the depth bound at work, not the size bound.
      const body = JSON.stringify(lineItem({ metadata: "@" })).replace(
        '"@"',
        `{"a":${"[".repeat(depth)}${"]".repeat(depth)}}`,
      );
      const res = await sp.api("/lineItems/b-deep", { method: "PUT", body });
      expectStatusPayload(res, 400, new RegExp(`more than ${JSON_MAX_DEPTH} levels`));
      expect((await sp.api("/orgs?limit=1")).status).toBe(200);
      expect((await sp.api("/lineItems/b-deep")).status).toBe(404);
    });

    it.each([
      ["an unpaired surrogate in the title", '"title":"Bounds \\ud800"', /unpaired UTF-16 surrogate/],
      ["an unpaired surrogate in a metadata key", '"metadata":{"\\udc00":1}', /unpaired UTF-16 surrogate/],
      ["a number past a double in metadata", '"metadata":{"weight":1e400}', /too large for a double/],
      ["a number past a double in a field", '"title":"Bounds","weight":-1e999', /too large for a double/],
    ])("answers 400 to %s, and writes nothing", async (_what, field, message) => {
      // Built as text: JSON.stringify would escape the surrogate in a form Postgres refuses, and cannot write 1e400.
      const body = JSON.stringify(lineItem({ title: "@" })).replace('"title":"@"', field);
      const res = await sp.api("/lineItems/b-unstorable", { method: "PUT", body });
      expectStatusPayload(res, 400, message);
      expect((await sp.api("/lineItems/b-unstorable")).status).toBe(404);
    });

    it("answers 400, not a crash, to metadata that is one long flat array", async () => {
      const body = JSON.stringify(lineItem({ metadata: "@" })).replace(
        '"@"',
        `{"a":[${Array.from({ length: 120_000 }, () => "0").join(",")}]}`,
      );
      const res = await sp.api("/lineItems/b-flat", { method: "PUT", body });
      // It is read whole (under the size limit) and refused by the schema or stored; never a 500.
      expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBeLessThan(500);
    });

    it("accepts metadata nested within the bound", async () => {
      const res = await sp.api("/lineItems/b-nested-ok", {
        method: "PUT",
        body: lineItem({ metadata: nested(JSON_MAX_DEPTH - 3) as Record<string, unknown> }),
      });
      expect(res.status).toBe(201);
    });

    it("bounds the depth of token and admin bodies too", async () => {
      const deep = `{"grant_type":${"[".repeat(5000)}${"]".repeat(5000)}}`;
      const token = await fetch(sp.provider.tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: deep,
      });
      expect(token.status).toBe(400);
      expect(await token.json()).toMatchObject({ error: "invalid_request" });
      const admin = await sp.api(`${sp.provider.origin}/admin/quirks`, {
        method: "PUT",
        token: ADMIN_TOKEN,
        body: `{"quirks":${"[".repeat(5000)}${"]".repeat(5000)}}`,
      });
      expectStatusPayload(admin, 400, /levels deep/);
    });
  });

  describe("item 2: body limits hold while the body streams, on every route that reads one", () => {
    const total = 64 * 1024 * 1024;
    /** Far more than any limit, far less than the 64 MiB a buffering server would have read. */
    const readAtMost = 16 * 1024 * 1024;

    it("stops reading a chunked token request at its limit: 413 invalid_request, connection closed", async () => {
      const out = await streamBody(
        sp.provider.tokenUrl,
        "POST",
        { "content-type": "application/x-www-form-urlencoded" },
        total,
      );
      expect(out.status).toBe(413);
      expect(JSON.parse(out.body)).toMatchObject({ error: "invalid_request" });
      expect(JSON.parse(out.body).error_description).toMatch(new RegExp(`${TOKEN_BODY_BYTES} bytes`));
      expect(out.connection).toBe("close");
      expect(out.written).toBeLessThan(readAtMost);
    });

    it("stops reading a chunked PUT at its limit: 413 status payload", async () => {
      const out = await streamBody(
        `${sp.provider.baseUrl}/categories/b-stream`,
        "PUT",
        { authorization: `Bearer ${sp.token}`, "content-type": "application/json" },
        total,
      );
      expect(out.status).toBe(413);
      expect(readStatusInfo(JSON.parse(out.body))[0]?.description).toMatch(new RegExp(`${PUT_BODY_BYTES} bytes`));
      expect(out.written).toBeLessThan(readAtMost);
    });

    it("caps admin bodies too (they had no cap)", async () => {
      const out = await streamBody(
        `${sp.provider.origin}/admin/quirks`,
        "PUT",
        { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        total,
      );
      expect(out.status).toBe(413);
      expect(readStatusInfo(JSON.parse(out.body))[0]?.description).toMatch(new RegExp(`${ADMIN_BODY_BYTES} bytes`));
      expect(out.written).toBeLessThan(readAtMost);
    });

    it("refuses a declared Content-Length over the limit without reading the body", async () => {
      const res = await fetch(`${sp.provider.baseUrl}/categories/b-declared`, {
        method: "PUT",
        headers: { authorization: `Bearer ${sp.token}`, "content-type": "application/json" },
        body: JSON.stringify({ category: { title: "x".repeat(PUT_BODY_BYTES) } }),
      });
      expect(res.status).toBe(413);
      expect((await sp.api("/orgs?limit=1")).status).toBe(200);
    });
  });

  describe("item 3: calendar dates are validated strictly, naming the parameter or field", () => {
    it.each([
      ["/orgs", "dateLastModified>'0000-01-01'", /dateLastModified.*year 0000/],
      ["/orgs", "dateLastModified>'9999-12-31T23:59:59-14:00'", /dateLastModified.*out of range/],
      ["/orgs", "dateLastModified>'2026-02-29T00:00:00Z'", /dateLastModified.*2026-02 has no day 29/],
      ["/orgs", "dateLastModified>'2026-01-01T24:00:00Z'", /dateLastModified.*time of day/],
      ["/orgs", "dateLastModified>'2026-01-01T00:00:00+15:00'", /dateLastModified.*time zone/],
      ["/demographics", "birthDate='2010-04-31'", /birthDate.*2010-04 has no day 31/],
      ["/academicSessions", "startDate<'2026-13-01'", /startDate.*month 13/],
    ])("GET %s?filter=%s answers 400", async (path, filter, message) => {
      const res = await sp.api(`${path}?filter=${encodeURIComponent(filter)}`);
      expectStatusPayload(res, 400, message);
    });

    it.each([
      ["dateLastModified>'0001-01-01'"],
      ["dateLastModified<'9999-12-31T23:59:59Z'"],
      ["dateLastModified>'2028-02-29T12:00:00+14:00'"],
    ])("accepts the extremes and leap days: %s", async (filter) => {
      expect((await sp.api(`/orgs?limit=1&filter=${encodeURIComponent(filter)}`)).status).toBe(200);
    });

    it("answers 400 naming the field for impossible dates in PUT bodies, and writes nothing", async () => {
      const li = await sp.api("/lineItems/b-date", { method: "PUT", body: lineItem({ assignDate: "2026-02-30" }) });
      expectStatusPayload(li, 400, /lineItem\.assignDate: .*2026-02 has no day 30/);
      expect((await sp.api("/lineItems/b-date")).status).toBe(404);
      await sp.api("/lineItems/b-date-ok", { method: "PUT", body: lineItem() });
      const result = await sp.api("/results/b-date", {
        method: "PUT",
        body: {
          result: {
            lineItem: { sourcedId: "b-date-ok" },
            student: { sourcedId: "x" },
            scoreStatus: "submitted",
            score: 1,
            scoreDate: "2026-02-30",
          },
        },
      });
      expectStatusPayload(result, 400, /result\.scoreDate: .*no day 30/);
      const far = await sp.api("/lineItems/b-date", {
        method: "PUT",
        body: lineItem({ dueDate: "9999-12-31T23:59:59-14:00" }),
      });
      expectStatusPayload(far, 400, /lineItem\.dueDate: .*out of range/);
    });
  });

  describe("item 4: ids and token parameters have limits", () => {
    const long = "x".repeat(2700);

    it("answers 400 to a sourcedId over the limit in a path, on reads and writes", async () => {
      for (const [path, method] of [
        [`/categories/${long}`, "PUT"],
        [`/users/${long}`, "GET"],
        [`/schools/${long}/classes`, "GET"],
        [`/lineItems/${long}`, "DELETE"],
      ] as const) {
        const res = await sp.api(path, { method, ...(method === "PUT" ? { body: { category: { title: "t" } } } : {}) });
        expectStatusPayload(res, 400, new RegExp(`at most ${SOURCED_ID_MAX_LENGTH}`));
      }
      const atLimit = "y".repeat(SOURCED_ID_MAX_LENGTH);
      expect(
        (await sp.api(`/categories/${atLimit}`, { method: "PUT", body: { category: { title: "t" } } })).status,
      ).toBe(201);
    });

    it("answers 400 naming the reference when a body's sourcedId is over the limit", async () => {
      const res = await sp.api("/lineItems/b-long-ref", {
        method: "PUT",
        body: lineItem({ category: { sourcedId: long } }),
      });
      expectStatusPayload(res, 400, /lineItem\.category\.sourcedId is 2700 characters/);
    });

    const tokenRequest = (body: string, headers: Record<string, string> = {}) =>
      fetch(sp.provider.tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        body,
      }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { error: string; error_description: string },
      }));

    it.each([
      [
        "a NUL in client_id",
        "grant_type=client_credentials&client_id=a%00b&client_secret=s",
        /client_id .*printable ASCII/,
      ],
      [
        "a client_id of 10 KB",
        `grant_type=client_credentials&client_id=${"c".repeat(10_000)}&client_secret=s`,
        /client_id is longer than 256/,
      ],
      [
        "a scope with a control character",
        "grant_type=client_credentials&scope=a%01b",
        /scope may hold printable ASCII/,
      ],
      ["an empty body", "", /body is empty: send POST .*grant_type=client_credentials/],
      ["no grant_type", "scope=x", /grant_type is missing: add grant_type=client_credentials/],
    ])("answers invalid_request 400 to %s, saying what to change", async (_, body, message) => {
      const res = await tokenRequest(body);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe("invalid_request");
      expect(res.body.error_description).toMatch(message);
    });

    it("answers invalid_request 400 to a NUL in Basic credentials", async () => {
      const basic = Buffer.from("a%00b:secret").toString("base64");
      const res = await tokenRequest("grant_type=client_credentials", { authorization: `Basic ${basic}` });
      expect(res.status).toBe(400);
      expect(res.body.error_description).toMatch(/client_id .*printable ASCII/);
    });

    it("tells a JSON client with an empty body what to send, not that JSON is invalid", async () => {
      const res = await tokenRequest("", { "content-type": "application/json" });
      expect(res.status).toBe(400);
      expect(res.body.error_description).not.toMatch(/not valid JSON/);
      expect(res.body.error_description).toMatch(/grant_type=client_credentials/);
    });

    it("tells a client with wrong credentials to check them", async () => {
      const res = await tokenRequest("grant_type=client_credentials&client_id=nobody&client_secret=wrong");
      expect(res.status).toBe(401);
      expect(res.body.error_description).toMatch(/check client_id and client_secret/);
    });
  });

  describe("item 5: URL length and Link header size", () => {
    it("answers 414 to a 300-term OR filter (a ~10 KB URL)", async () => {
      const filter = Array.from({ length: 300 }, (_, i) => `sourcedId='usr-${String(i).padStart(7, "0")}'`).join(
        " OR ",
      );
      const res = await sp.api(`/users?filter=${encodeURIComponent(filter)}`);
      expectStatusPayload(res, 414, new RegExp(`limit is ${URL_MAX_LENGTH}`));
    });

    it("answers a request line past Node's header limit with a 431 status payload, not a bare close", async () => {
      const res = await sp.api(`/users?filter=${"x".repeat(20_000)}`);
      expectStatusPayload(res, 431, /exceed/);
    });

    it("keeps the Link header readable by Node's own http client for the longest URL accepted", async () => {
      // Commas are sent raw and percent-encoded in links (3 bytes each), so links outgrow the request URL.
      const fields = `fields=${Array(Math.floor((URL_MAX_LENGTH - 120) / 10))
        .fill("sourcedId")
        .join(",")}`;
      const url = `${sp.provider.baseUrl}/users?limit=1&offset=1&${fields}`;
      expect(url.length - sp.provider.origin.length).toBeLessThanOrEqual(URL_MAX_LENGTH);
      const res = await new Promise<{ status: number; link: string | undefined }>((resolve, reject) => {
        get(url, { headers: { authorization: `Bearer ${sp.token}` } }, (r) => {
          r.resume();
          resolve({ status: r.statusCode ?? 0, link: String(r.headers.link ?? "") });
        }).on("error", reject);
      });
      expect(res.status).toBe(200);
      expect(Buffer.byteLength(res.link ?? "")).toBeLessThanOrEqual(LINK_HEADER_MAX_BYTES);
      expect(res.link).toMatch(/rel="next"/);
    });
  });
});
