// OAuth clients through the admin API over real HTTP: created with a secret shown once and stored hashed, listed,
// updated, rotated and deleted (old secrets and tokens refused); token requests as real clients send them, accepted
// and recorded for a lenient client, refused with what to change for a strict one; faults for one client only.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { ALL_SCOPES, readStatusInfo, SCOPES } from "../../oneroster/index.js";
import { DEFAULT_CONFIG } from "../../server/config.js";
import { oauthClients } from "../../server/db/schema.js";
import { DEMO_CLIENT_ID, startServer } from "../../server/main.js";
import { describeEachDb } from "../support/each-db.js";
import { useSeededProvider } from "../support/seeded-provider.js";

const ADMIN = "admin-credential-for-tests-0123";
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;

describeEachDb("clients", (kind) => {
  const sp = useSeededProvider(kind, { config: { adminToken: ADMIN } });
  const admin = (path: string, init: { method?: string; body?: unknown } = {}) =>
    sp.api(`${sp.provider.origin}${path}`, { ...init, token: ADMIN });
  const tokenRequest = (init: { url?: string; headers?: Record<string, string>; body?: string }) =>
    fetch(init.url ?? sp.provider.tokenUrl, {
      method: "POST",
      headers: init.headers ?? {},
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
  const tokenFor = async (id: string, secret: string) => {
    const res = await tokenRequest({
      headers: { authorization: basic(id, secret), "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials",
    });
    const json = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
    return { status: res.status, token: json.access_token, json };
  };
  const create = async (body: Record<string, unknown>) => {
    const res = await admin("/admin/clients", { method: "POST", body });
    expect(res.status, res.text).toBe(201);
    return res.body as { client: { clientId: string }; clientSecret: string };
  };

  it("creates a client with a secret shown once and stored only as a hash, lists, shows and updates it", async () => {
    const made = await create({ clientId: "lms-one", name: "LMS one", scopes: [SCOPES.rosterCore] });
    expect(made.clientSecret.length).toBeGreaterThanOrEqual(32);
    const [row] = await sp.db.db.select().from(oauthClients).where(eq(oauthClients.clientId, "lms-one"));
    expect(row?.secretHash).toMatch(/^scrypt\$/);
    expect(row?.secretHash).not.toContain(made.clientSecret);
    const listed = await admin("/admin/clients");
    expect(listed.body.clients.map((c: { clientId: string }) => c.clientId)).toContain("lms-one");
    expect(listed.text).not.toContain(made.clientSecret);
    const shown = await admin("/admin/clients/lms-one");
    expect(shown.body.client).toMatchObject({ name: "LMS one", scopes: [SCOPES.rosterCore], tokenLeniency: "strict" });
    const { status, token } = await tokenFor("lms-one", made.clientSecret);
    expect(status).toBe(200);
    expect((await sp.api("/orgs", { token: token ?? "" })).status).toBe(200);
    // Only the scopes it was given: a gradebook read is 403.
    expect((await sp.api("/lineItems", { token: token ?? "" })).status).toBe(403);
    const updated = await admin("/admin/clients/lms-one", {
      method: "PATCH",
      body: { scopes: ALL_SCOPES, tokenLeniency: "lenient" },
    });
    expect(updated.body.client.tokenLeniency).toBe("lenient");
    expect(
      (await admin("/admin/clients", { method: "POST", body: { clientId: "lms-one", name: "again" } })).status,
    ).toBe(409);
    expect(
      (await admin("/admin/clients", { method: "POST", body: { name: "x", scopes: ["everything"] } })).status,
    ).toBe(400);
    expect((await admin("/admin/clients/nobody")).status).toBe(404);
  });

  it("rotates a secret: the old secret and tokens issued before are refused, the new secret works", async () => {
    const made = await create({ clientId: "lms-rotate", name: "rotating" });
    const before = await tokenFor("lms-rotate", made.clientSecret);
    expect((await sp.api("/orgs", { token: before.token ?? "" })).status).toBe(200);
    sp.provider.deps.clock.advance(2000);
    const rotated = await admin("/admin/clients/lms-rotate/rotate", { method: "POST" });
    expect(rotated.status).toBe(200);
    expect(rotated.body.clientSecret).not.toBe(made.clientSecret);
    expect((await tokenFor("lms-rotate", made.clientSecret)).status).toBe(401);
    const refused = await sp.api("/orgs", { token: before.token ?? "" });
    expect(refused.status).toBe(401);
    expect(readStatusInfo(refused.body)[0]?.description).toMatch(/rotated/);
    // Refused again from the view the first refusal read (held for a second, consulted without waiting).
    expect((await sp.api("/orgs", { token: before.token ?? "" })).status, "old token, second time").toBe(401);
    const after = await tokenFor("lms-rotate", rotated.body.clientSecret);
    expect(after.status).toBe(200);
    expect((await sp.api("/orgs", { token: after.token ?? "" })).status).toBe(200);
  });

  it("deletes a client: no tokens, its tokens refused, gone from the list; the id can be registered again", async () => {
    const made = await create({ clientId: "lms-gone", name: "leaving", faults: ["latency:ms=1"] });
    const { token } = await tokenFor("lms-gone", made.clientSecret);
    // Token times have whole seconds: a token from the very second of a revocation stays valid.
    sp.provider.deps.clock.advance(2000);
    expect((await admin("/admin/clients/lms-gone", { method: "DELETE" })).status).toBe(204);
    expect((await tokenFor("lms-gone", made.clientSecret)).status, "token after delete").toBe(401);
    expect((await sp.api("/orgs", { token: token ?? "" })).status, "old token after delete").toBe(401);
    expect((await admin("/admin/clients/lms-gone")).status).toBe(404);
    expect((await admin("/admin/clients", { method: "DELETE" })).status).toBe(404);
    const again = await create({ clientId: "lms-gone", name: "back" });
    expect((await admin("/admin/clients/lms-gone")).body.faults).toEqual([]);
    expect((await sp.api("/orgs", { token: token ?? "" })).status, "old token after re-create").toBe(401);
    expect((await tokenFor("lms-gone", again.clientSecret)).status).toBe(200);
  });

  it("switches fault presets on for one client only, quirks and transport faults alike", async () => {
    const noisy = await create({ clientId: "lms-noisy", name: "noisy", faults: ["server-errors:every=1"] });
    const quiet = await create({ clientId: "lms-quiet", name: "quiet" });
    const noisyToken = (await tokenFor("lms-noisy", noisy.clientSecret)).token ?? "";
    const quietToken = (await tokenFor("lms-quiet", quiet.clientSecret)).token ?? "";
    expect((await sp.api("/orgs", { token: noisyToken })).status).toBe(503);
    expect((await sp.api("/orgs", { token: quietToken })).status).toBe(200);
    const put = await admin("/admin/clients/lms-noisy/faults", { method: "PUT", body: { faults: ["no-total-count"] } });
    expect(put.body.active).toEqual(["no-total-count"]);
    const noisyPage = await sp.api("/orgs", { token: noisyToken });
    expect(noisyPage.status).toBe(200);
    expect(noisyPage.headers.get("x-total-count")).toBeNull();
    expect((await sp.api("/orgs", { token: quietToken })).headers.get("x-total-count")).not.toBeNull();
    const one = await admin("/admin/clients/lms-quiet/faults/rate-limit", { method: "PUT", body: { every: 1 } });
    expect(one.body.spec).toBe("rate-limit:every=1");
    expect((await sp.api("/orgs", { token: quietToken })).status).toBe(429);
    expect((await admin("/admin/clients/lms-quiet/faults/rate-limit", { method: "DELETE" })).status).toBe(204);
    expect((await sp.api("/orgs", { token: quietToken })).status).toBe(200);
    expect((await admin("/admin/clients/lms-quiet/faults", { method: "PUT", body: { faults: ["nope"] } })).status).toBe(
      400,
    );
  });

  describe("token requests as real clients send them", () => {
    // Characters that form-encoding changes; the length gives base64 padding (`=`) for both client ids below (both 11 characters).
    const ODD_SECRET = "p+ss%word with/odd=chars-01234567";
    const deviations = (id: string, secret: string) =>
      [
        {
          name: "query string with an empty body",
          finding: "token:params-in-query",
          send: () =>
            tokenRequest({
              url: `${sp.provider.tokenUrl}?grant_type=client_credentials`,
              headers: { authorization: basic(id, secret) },
            }),
        },
        {
          name: "a JSON body",
          finding: "token:json-body",
          send: () =>
            tokenRequest({
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ grant_type: "client_credentials", client_id: id, client_secret: secret }),
            }),
        },
        {
          name: "percent-encoded Basic credentials",
          finding: "token:basic-url-encoded",
          send: () =>
            tokenRequest({
              headers: {
                authorization: `Basic ${encodeURIComponent(Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64"))}`,
                "content-type": "application/x-www-form-urlencoded",
              },
              body: "grant_type=client_credentials",
            }),
        },
        {
          name: "Basic credentials that were not form-encoded",
          finding: "token:basic-not-form-encoded",
          send: () =>
            tokenRequest({
              headers: {
                authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`,
                "content-type": "application/x-www-form-urlencoded",
              },
              body: "grant_type=client_credentials",
            }),
        },
      ] as const;

    it("a lenient client gets its token and each deviation is recorded as a finding in its request log", async () => {
      await create({ clientId: "lms-lenient", name: "lenient", tokenLeniency: "lenient", clientSecret: ODD_SECRET });
      for (const d of deviations("lms-lenient", ODD_SECRET)) {
        const res = await d.send();
        expect(res.status, `${d.name}: ${await res.clone().text()}`).toBe(200);
      }
      const log = await admin("/admin/requests?client=lms-lenient&operation=token&order=asc");
      expect(log.body.requests.map((r: { findings: string[] }) => r.findings)).toEqual(
        deviations("x", "y").map((d) => [d.finding]),
      );
    });

    it("a strict client is refused each deviation with an RFC 6749 invalid_request that says what to change", async () => {
      await create({ clientId: "lms-exact01", name: "strict", clientSecret: ODD_SECRET });
      for (const d of deviations("lms-exact01", ODD_SECRET)) {
        const res = await d.send();
        const body = (await res.json()) as { error: string; error_description: string };
        expect(res.status, d.name).toBe(400);
        expect(body.error).toBe("invalid_request");
        expect(body.error_description).toMatch(/RFC (6749|7617) §/);
      }
      expect((await tokenFor("lms-exact01", ODD_SECRET)).status).toBe(200);
    });
  });
});

describe("the demo client", () => {
  it("keeps working with no configuration, and takes a JSON token request as real clients send it", async () => {
    const running = await startServer({ ...DEFAULT_CONFIG, port: 0, logLevel: "silent", pageCacheBytes: 0 });
    try {
      expect(running.clientId).toBe(DEMO_CLIENT_ID);
      const form = await fetch(running.tokenUrl, {
        method: "POST",
        headers: { authorization: basic(running.clientId, running.clientSecret) },
        body: new URLSearchParams({ grant_type: "client_credentials" }),
      });
      expect(form.status).toBe(200);
      const json = await fetch(running.tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          grant_type: "client_credentials",
          client_id: running.clientId,
          client_secret: running.clientSecret,
        }),
      });
      expect(json.status).toBe(200);
    } finally {
      await running.close();
    }
  });
});
