// OAuth 2 on the provider: the token endpoint (RFC 6749 §4.4, §2.3.1, §5.1, §5.2), JWKS, signing-key persistence,
// and bearer verification with a frozen clock (RFC 6750 §3; notes §6.2). Runs on PGlite and Postgres.
import { createAdaptorServer } from "@hono/node-server";
import { Hono } from "hono";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, generateKeyPair, jwtVerify, SignJWT } from "jose";
import request from "supertest";
import { beforeAll, describe, expect, it } from "vitest";
import { ALL_SCOPES, readStatusInfo, SCOPES, StatusInfoSetSchema } from "../../oneroster/index.js";
import type { AppEnv } from "../../server/app-env.js";
import { loadOrCreateKeys, registerJwksRoute } from "../../server/auth/keys.js";
import { type AuthContext, requireScope, verifyBearer } from "../../server/auth/require-token.js";
import { ensureClient } from "../../server/auth/secrets.js";
import { registerTokenRoute, TOKEN_PATH } from "../../server/auth/token-route.js";
import { signingKeys } from "../../server/db/schema.js";
import { ApiError } from "../../server/errors.js";
import { useTestDb } from "../support/db.js";
import { createTestDeps, FIXED_NOW, type TestDeps } from "../support/deps.js";
import { describeEachDb } from "../support/each-db.js";
import { providerTest } from "../support/server.js";

const FULL = { clientId: "full-client", clientSecret: "full-secret-0123456789" };
const LIMITED = { clientId: "limited-client", clientSecret: "limited-secret-0123456789" };
// Characters that must be form-encoded inside Basic credentials (RFC 6749 §2.3.1).
const ODD = { clientId: "odd:client%id", clientSecret: "p:ss%word+with space" };

const basic = (id: string, secret: string, encode = true) =>
  `Basic ${Buffer.from(encode ? `${encodeURIComponent(id)}:${encodeURIComponent(secret)}` : `${id}:${secret}`).toString("base64")}`;

function expectOAuthError(res: request.Response, status: number, error: string): void {
  expect(res.status).toBe(status);
  expect(res.headers["content-type"]).toMatch(/^application\/json/);
  expect(res.headers["cache-control"]).toBe("no-store");
  expect(res.body).toEqual({ error, error_description: expect.any(String) });
  expect(res.body.error_description.length).toBeGreaterThan(0);
}

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describeEachDb("OAuth token endpoint", (kind) => {
  const testDb = useTestDb(kind);
  let deps: TestDeps;
  let server: ReturnType<typeof createAdaptorServer>;

  beforeAll(async () => {
    deps = await createTestDeps(testDb.current.handle);
    const app = new Hono<AppEnv>();
    registerTokenRoute(app, deps);
    registerJwksRoute(app, deps.keys);
    server = createAdaptorServer({ fetch: app.fetch });
    // Lenient: it may send the non-standard JSON body (token leniency, test/server/clients.test.ts).
    await ensureClient(deps.db, { ...FULL, name: "full", scopes: ALL_SCOPES, tokenLeniency: "lenient" });
    await ensureClient(deps.db, { ...LIMITED, name: "limited", scopes: [SCOPES.rosterCore] });
    await ensureClient(deps.db, { ...ODD, name: "odd", scopes: [SCOPES.roster] });
  });

  const post = () => request(server).post(TOKEN_PATH);

  describe("issuing tokens", () => {
    it("issues a bearer token for HTTP Basic client auth with the claims and headers of RFC 6749 §5.1", async () => {
      const res = await post()
        .set("Authorization", basic(FULL.clientId, FULL.clientSecret))
        .type("form")
        .send({ grant_type: "client_credentials", scope: SCOPES.rosterCore });
      expect(res.status).toBe(200);
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(res.body).toEqual({
        access_token: expect.any(String),
        token_type: "bearer",
        expires_in: deps.config.tokenTtlSeconds,
        scope: SCOPES.rosterCore,
      });
      const header = decodeProtectedHeader(res.body.access_token);
      expect(header).toMatchObject({ alg: "ES256", kid: deps.keys.kid, typ: "at+jwt" });
      const claims = decodeJwt(res.body.access_token);
      const iat = FIXED_NOW.getTime() / 1000;
      expect(claims).toMatchObject({
        iss: deps.config.issuer,
        aud: deps.config.audience,
        sub: FULL.clientId,
        client_id: FULL.clientId,
        scope: SCOPES.rosterCore,
        iat,
        exp: iat + deps.config.tokenTtlSeconds,
      });
      expect(claims.jti).toEqual(expect.any(String));
    });

    it("URL-decodes Basic credentials, so ids and secrets may contain ':' and '%' (RFC 6749 §2.3.1)", async () => {
      const res = await post()
        .set("Authorization", basic(ODD.clientId, ODD.clientSecret))
        .type("form")
        .send({ grant_type: "client_credentials" });
      expect(res.status).toBe(200);
      expect(decodeJwt(res.body.access_token).client_id).toBe(ODD.clientId);
    });

    it("accepts client_id and client_secret in a form body (client_secret_post)", async () => {
      const res = await post()
        .type("form")
        .send({ grant_type: "client_credentials", client_id: ODD.clientId, client_secret: ODD.clientSecret });
      expect(res.status).toBe(200);
      expect(res.body.scope).toBe(SCOPES.roster);
    });

    it("accepts the same parameters as a JSON body", async () => {
      const res = await post()
        .set("Content-Type", "application/json")
        .send(
          JSON.stringify({
            grant_type: "client_credentials",
            ...{ client_id: FULL.clientId, client_secret: FULL.clientSecret },
          }),
        );
      expect(res.status).toBe(200);
      expect(res.body.token_type).toBe("bearer");
    });

    it("grants every scope the client is allowed when no scope is requested", async () => {
      const res = await post()
        .set("Authorization", basic(FULL.clientId, FULL.clientSecret))
        .type("form")
        .send({ grant_type: "client_credentials" });
      expect(res.status).toBe(200);
      expect(res.body.scope.split(" ")).toEqual([...ALL_SCOPES]);
      const limited = await post()
        .set("Authorization", basic(LIMITED.clientId, LIMITED.clientSecret))
        .type("form")
        .send({ grant_type: "client_credentials" });
      expect(limited.body.scope).toBe(SCOPES.rosterCore);
    });

    it("grants exactly the requested scopes, de-duplicated", async () => {
      const res = await post()
        .set("Authorization", basic(FULL.clientId, FULL.clientSecret))
        .type("form")
        .send({
          grant_type: "client_credentials",
          scope: `${SCOPES.gradebookRead}  ${SCOPES.roster} ${SCOPES.roster}`,
        });
      expect(res.status).toBe(200);
      expect(res.body.scope).toBe(`${SCOPES.gradebookRead} ${SCOPES.roster}`);
      expect(decodeJwt(res.body.access_token).scope).toBe(res.body.scope);
    });
  });

  describe("refusing token requests", () => {
    it("answers invalid_scope 400 for an unknown scope", async () => {
      const res = await post()
        .set("Authorization", basic(FULL.clientId, FULL.clientSecret))
        .type("form")
        .send({ grant_type: "client_credentials", scope: "https://example.com/scope/everything" });
      expectOAuthError(res, 400, "invalid_scope");
    });

    it("answers invalid_scope 400 for a scope the client is not allowed", async () => {
      const res = await post()
        .set("Authorization", basic(LIMITED.clientId, LIMITED.clientSecret))
        .type("form")
        .send({ grant_type: "client_credentials", scope: `${SCOPES.rosterCore} ${SCOPES.demographics}` });
      expectOAuthError(res, 400, "invalid_scope");
      expect(res.body.error_description).toContain(SCOPES.demographics);
    });

    it("answers unsupported_grant_type 400 for any grant but client_credentials", async () => {
      const res = await post()
        .set("Authorization", basic(FULL.clientId, FULL.clientSecret))
        .type("form")
        .send({ grant_type: "password", username: "u", password: "p" });
      expectOAuthError(res, 400, "unsupported_grant_type");
    });

    it.each([
      ["grant_type is missing", { type: "form", body: "scope=x" }],
      [
        "a parameter is repeated",
        { type: "form", body: "grant_type=client_credentials&grant_type=client_credentials" },
      ],
      ["the JSON body does not parse", { type: "application/json", body: "{not json" }],
      ["the JSON body is not an object", { type: "application/json", body: "[1,2]" }],
      ["the body is of an unsupported content type", { type: "text/plain", body: "grant_type=client_credentials" }],
    ])("answers invalid_request 400 when %s", async (_why, { type, body }) => {
      const res = await post()
        .set("Authorization", basic(FULL.clientId, FULL.clientSecret))
        .set("Content-Type", type === "form" ? "application/x-www-form-urlencoded" : type)
        .send(body);
      expectOAuthError(res, 400, "invalid_request");
    });

    it("answers invalid_request 400 when the client authenticates twice (Basic and body, RFC 6749 §2.3)", async () => {
      const res = await post()
        .set("Authorization", basic(FULL.clientId, FULL.clientSecret))
        .type("form")
        .send({ grant_type: "client_credentials", client_id: FULL.clientId, client_secret: FULL.clientSecret });
      expectOAuthError(res, 400, "invalid_request");
    });

    it.each([
      ["has no colon", `Basic ${Buffer.from("just-an-id").toString("base64")}`],
      ["is not base64", "Basic ***"],
      ["has broken URL encoding", basic("bad%zzid", "secret", false)],
    ])("answers invalid_request 400 when the Basic header %s", async (_why, header) => {
      const res = await post().set("Authorization", header).type("form").send({ grant_type: "client_credentials" });
      expectOAuthError(res, 400, "invalid_request");
    });

    it.each([
      ["the secret is wrong", { Authorization: basic(FULL.clientId, "wrong-secret") }, {}],
      ["the client id is unknown", { Authorization: basic("nobody", FULL.clientSecret) }, {}],
      ["no credentials are sent", {}, {}],
      ["the body has a client_id but no secret", {}, { client_id: FULL.clientId }],
      ["the Authorization scheme is not Basic", { Authorization: "Bearer abc" }, {}],
    ])("answers invalid_client 401 with a Basic challenge when %s", async (_why, headers, extra) => {
      const res = await post()
        .set(headers)
        .type("form")
        .send({ grant_type: "client_credentials", ...extra });
      expectOAuthError(res, 401, "invalid_client");
      expect(res.headers["www-authenticate"]).toBe('Basic realm="rosterlab"');
      expect(JSON.stringify(res.body)).not.toContain(FULL.clientSecret);
    });

    it("answers 405 with an RFC 6749 body and Allow: POST for GET on the token endpoint", async () => {
      const res = await request(server).get(TOKEN_PATH);
      expectOAuthError(res, 405, "invalid_request");
      expect(res.headers.allow).toBe("POST");
    });

    it("answers invalid_request 413 for an oversized body, not a 500", async () => {
      const res = await post()
        .type("form")
        .send(`grant_type=client_credentials&pad=${"x".repeat(20_000)}`);
      expectOAuthError(res, 413, "invalid_request");
    });
  });

  describe("signing keys", () => {
    let storedKeyRow: typeof signingKeys.$inferSelect;
    beforeAll(async () => {
      const [row] = await deps.db.select().from(signingKeys);
      if (!row) {
        throw new Error("no signing key stored");
      }
      storedKeyRow = row;
    });

    it("serves the public signing key at /.well-known/jwks.json, and it verifies issued tokens", async () => {
      const jwks = await request(server).get("/.well-known/jwks.json");
      expect(jwks.status).toBe(200);
      expect(jwks.body.keys[0]).toMatchObject({ kty: "EC", crv: "P-256", kid: deps.keys.kid, alg: "ES256" });
      expect(jwks.body.keys.every((k: Record<string, unknown>) => !("d" in k))).toBe(true);
      const token = await post()
        .set("Authorization", basic(FULL.clientId, FULL.clientSecret))
        .type("form")
        .send({ grant_type: "client_credentials" });
      const { payload } = await jwtVerify(token.body.access_token, createLocalJWKSet(jwks.body), {
        currentDate: FIXED_NOW,
      });
      expect(payload.sub).toBe(FULL.clientId);
    });

    it("loads the stored key on later starts instead of making a new one, also when starts race", async () => {
      const again = await Promise.all([loadOrCreateKeys(deps.db), loadOrCreateKeys(deps.db)]);
      expect(again.map((k) => k.kid)).toEqual([deps.keys.kid, deps.keys.kid]);
    });

    it("agrees on one key when several processes start at once on an empty table", async () => {
      await testDb.current.handle.exec('DELETE FROM "provider"."signing_keys"');
      try {
        const keys = await Promise.all([1, 2, 3].map(() => loadOrCreateKeys(deps.db)));
        expect(new Set(keys.map((k) => k.kid)).size).toBe(1);
        expect(keys[0]?.jwks.keys).toHaveLength(1);
      } finally {
        // Put the key this suite signs with back for the tests that follow.
        await testDb.current.handle.exec('DELETE FROM "provider"."signing_keys"');
        await deps.db.insert(signingKeys).values(storedKeyRow);
      }
    });
  });

  describe("verifyBearer and requireScope", () => {
    const tokenFor = async (creds: { clientId: string; clientSecret: string }, scope?: string) => {
      const res = await post()
        .set("Authorization", basic(creds.clientId, creds.clientSecret))
        .type("form")
        .send({ grant_type: "client_credentials", ...(scope ? { scope } : {}) });
      expect(res.status).toBe(200);
      return res.body.access_token as string;
    };

    it("accepts a token from the token endpoint and returns its client and scopes", async () => {
      const token = await tokenFor(FULL, `${SCOPES.roster} ${SCOPES.gradebookRead}`);
      const auth = await verifyBearer(deps, `Bearer ${token}`);
      expect(auth.clientId).toBe(FULL.clientId);
      expect([...auth.scopes]).toEqual([SCOPES.roster, SCOPES.gradebookRead]);
      // exp is whole seconds: issued at the frozen clock (truncated to the second) plus the token lifetime.
      const issuedAt = Math.floor(deps.clock.now().getTime() / 1000) * 1000;
      expect(auth.expiresAtMs).toBe(issuedAt + deps.config.tokenTtlSeconds * 1000);
      await expect(verifyBearer(deps, `bearer ${token}`)).resolves.toMatchObject({ clientId: FULL.clientId });
    });

    it("answers 401 unauthorisedrequest for an expired token, and accepts it under accept-expired-tokens", async () => {
      const token = await tokenFor(FULL);
      const clock = deps.clock;
      clock.advance((deps.config.tokenTtlSeconds + 1) * 1000);
      try {
        const err = await rejection(verifyBearer(deps, `Bearer ${token}`));
        expect(err.status).toBe(401);
        expect(err.codeMinor).toBe("unauthorisedrequest");
        expect(err.message).toMatch(/expired/);
        expect(err.headers["WWW-Authenticate"]).toMatch(/^Bearer realm="rosterlab", error="invalid_token"/);
        await expect(verifyBearer(deps, `Bearer ${token}`, { acceptExpired: true })).resolves.toMatchObject({
          clientId: FULL.clientId,
        });
      } finally {
        clock.set(FIXED_NOW);
      }
    });

    it("answers 401 for a token meant for another audience", async () => {
      const token = await tokenFor(FULL);
      const other = { ...deps, config: { ...deps.config, audience: "urn:someone-else" } };
      const err = await rejection(verifyBearer(other, `Bearer ${token}`));
      expect(err.status).toBe(401);
      expect(err.message).toMatch(/audience/);
    });

    it("answers 401 for a token with our claims signed by another key", async () => {
      const foreign = await generateKeyPair("ES256");
      const iat = Math.floor(FIXED_NOW.getTime() / 1000);
      const forged = await new SignJWT({ client_id: FULL.clientId, scope: ALL_SCOPES.join(" ") })
        .setProtectedHeader({ alg: "ES256", kid: deps.keys.kid, typ: "at+jwt" })
        .setIssuer(deps.config.issuer)
        .setAudience(deps.config.audience)
        .setSubject(FULL.clientId)
        .setIssuedAt(iat)
        .setExpirationTime(iat + 60)
        .sign(foreign.privateKey);
      const err = await rejection(verifyBearer(deps, `Bearer ${forged}`));
      expect(err.status).toBe(401);
      expect(err.message).toMatch(/signature/);
      // Even the accept-expired-tokens quirk never lets a bad signature through.
      await expect(verifyBearer(deps, `Bearer ${forged}`, { acceptExpired: true })).rejects.toBeInstanceOf(ApiError);
    });

    it.each([
      ["a token that is not a JWT", "Bearer not-a-jwt", /malformed/],
      ["a JWT with a garbage payload", "Bearer aaa.bbb.ccc", /malformed|invalid/],
      ["another scheme", `Basic ${Buffer.from("a:b").toString("base64")}`, /malformed Authorization/],
      ["Bearer with no token", "Bearer ", /malformed Authorization/],
    ])("answers 401 for %s", async (_why, header, message) => {
      const err = await rejection(verifyBearer(deps, header));
      expect(err.status).toBe(401);
      expect(err.message).toMatch(message);
      expect(err.headers["WWW-Authenticate"]).toContain('error="invalid_token"');
    });

    it("answers 401 with a bare Bearer challenge when no token is sent (RFC 6750 §3.1)", async () => {
      const err = await rejection(verifyBearer(deps, undefined));
      expect(err.status).toBe(401);
      expect(err.message).toMatch(/missing/);
      expect(err.headers["WWW-Authenticate"]).toBe('Bearer realm="rosterlab"');
    });

    it("requireScope passes when any one listed scope is held and answers 403 forbidden otherwise", () => {
      const auth: AuthContext = { clientId: "c", scopes: new Set([SCOPES.rosterCore]), expiresAtMs: 0 };
      expect(() => requireScope(auth, [SCOPES.rosterCore, SCOPES.roster])).not.toThrow();
      expect(() => requireScope(auth, [])).not.toThrow();
      let caught: unknown;
      try {
        requireScope(auth, [SCOPES.demographics]);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ApiError);
      expect((caught as ApiError).status).toBe(403);
      expect((caught as ApiError).codeMinor).toBe("forbidden");
      expect((caught as ApiError).message).toContain(SCOPES.demographics);
    });
  });
});

describeEachDb("bearer tokens on the running provider", (kind) => {
  // scoped() sets the fixture for this describe block only: each test gets a fresh database of this kind.
  providerTest.scoped({ dbKind: kind });
  const it = providerTest;

  it("answers GET /users without a token with 401 unauthorisedrequest and a Bearer challenge", async ({ provider }) => {
    const res = await fetch(`${provider.baseUrl}/users`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="rosterlab"/);
    const body = StatusInfoSetSchema.parse(await res.json());
    expect(readStatusInfo(body)[0]).toMatchObject({ codeMajor: "failure", codeMinor: "unauthorisedrequest" });
  });

  it("answers GET /users with a garbage token with 401 invalid_token", async ({ provider }) => {
    const res = await fetch(`${provider.baseUrl}/users`, { headers: { Authorization: "Bearer nope.nope.nope" } });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(readStatusInfo(await res.json())[0]?.codeMinor).toBe("unauthorisedrequest");
  });

  it("answers GET /users with 403 forbidden for a token holding only a gradebook scope", async ({ provider }) => {
    const token = await provider.token([SCOPES.gradebookRead]);
    const res = await fetch(`${provider.baseUrl}/users`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(403);
    const body = StatusInfoSetSchema.parse(await res.json());
    expect(readStatusInfo(body)[0]).toMatchObject({ codeMajor: "failure", codeMinor: "forbidden" });
  });

  it("answers GET /users with 200 for a token holding roster-core.readonly", async ({ provider }) => {
    const token = await provider.token([SCOPES.rosterCore]);
    const res = await fetch(`${provider.baseUrl}/users`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ users: [] });
  });

  it("answers 401 once the token has expired on the provider's clock, even after it was accepted before", async ({
    provider,
  }) => {
    const token = await provider.token();
    // Accepted once first, so the provider has remembered it; expiry must still be enforced afterwards.
    const before = await fetch(`${provider.baseUrl}/users`, { headers: { Authorization: `Bearer ${token}` } });
    expect(before.status).toBe(200);
    provider.deps.clock.advance((provider.deps.config.tokenTtlSeconds + 1) * 1000);
    const res = await fetch(`${provider.baseUrl}/users`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    expect(readStatusInfo(await res.json())[0]?.description).toMatch(/expired/);
  });
});
