// OneRosterClient: tokens (cached, renewed early by its own clock, renewed once on a 401) and status payloads against
// our real provider; retries, backoff, Retry-After, timeouts, dropped connections and the concurrency cap against a
// scripted node:http server. Waits go through a recording sleep, so no test waits for backoff in real time.
import { beforeEach, describe, expect, it } from "vitest";
import {
  type ClientEvent,
  type ClientOptions,
  OneRosterClient,
  OneRosterClientError,
} from "../../oneroster/client/index.js";
import { SCOPES } from "../../oneroster/index.js";
import { describePrimaryDb } from "../support/each-db.js";
import { type ScriptedServer, scriptedTest, sendJson } from "../support/scripted-server.js";
import { SEEDED_NOW, useSeededProvider } from "../support/seeded-provider.js";

/** A sleep that returns at once and remembers what it was asked to wait. */
function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

async function failure(promise: Promise<unknown>): Promise<OneRosterClientError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OneRosterClientError);
  return error as OneRosterClientError;
}

describePrimaryDb("OneRosterClient against our provider", (kind) => {
  // Short-lived tokens, so renewal by the client's own clock can be shown without waiting an hour.
  const sp = useSeededProvider(kind, { config: { tokenTtlSeconds: 120 } });
  let events: ClientEvent[];
  let clientNow: number;

  const clientOf = (options: Partial<ClientOptions> = {}) =>
    new OneRosterClient({
      baseUrl: sp.provider.baseUrl,
      tokenUrl: sp.provider.tokenUrl,
      clientId: sp.provider.clientId,
      clientSecret: sp.provider.clientSecret,
      sleep: recordingSleep().sleep,
      now: () => clientNow,
      onEvent: (e) => events.push(e),
      ...options,
    });
  const statuses = () => events.flatMap((e) => (e.type === "request" ? [e.status] : []));
  const tokenEvents = () => events.filter((e) => e.type === "token");

  beforeEach(() => {
    events = [];
    clientNow = Date.parse(SEEDED_NOW);
    sp.provider.deps.clock.set(SEEDED_NOW);
  });

  it("asks for one token and uses it for every request while it is fresh", async () => {
    const client = clientOf();
    for (const path of ["/users?limit=1", "/orgs?limit=1", "/classes?limit=1"]) {
      expect((await client.getOk(path)).status).toBe(200);
    }
    expect(client.tokenCount).toBe(1);
    expect(tokenEvents()).toEqual([{ type: "token", expiresInSeconds: 120, renewal: false }]);
    expect(statuses()).toEqual([200, 200, 200, 200]);
  });

  it("asks for one token when many requests start at once", async () => {
    const client = clientOf({ concurrency: 4 });
    const answers = await Promise.all(
      ["/users", "/orgs", "/courses", "/classes", "/enrollments"].map((p) => client.getOk(p, { limit: 1 })),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(client.tokenCount).toBe(1);
  });

  it("renews a token shortly before it expires by its own clock, without a 401", async () => {
    const client = clientOf();
    await client.getOk("/users", { limit: 1 });
    // 120 s tokens are renewed 60 s before expiry (at most half their life): 61 s later is renewal time.
    clientNow += 61_000;
    sp.provider.deps.clock.advance(61_000);
    await client.getOk("/users", { limit: 1 });
    expect(client.tokenCount).toBe(2);
    expect(tokenEvents().map((e) => (e as { renewal: boolean }).renewal)).toEqual([false, true]);
    expect(statuses()).not.toContain(401);
  });

  it("renews once when the provider refuses an expired token, and carries on", async () => {
    const client = clientOf();
    await client.getOk("/users", { limit: 1 });
    // The provider's clock moves past the token's expiry; the client's clock does not, so only a 401 can tell it.
    sp.provider.deps.clock.advance(10 * 60_000);
    const answers = await Promise.all([1, 2, 3].map(() => client.getOk("/orgs", { limit: 1 })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(client.tokenCount).toBe(2);
    expect(statuses().filter((s) => s === 401).length).toBeGreaterThanOrEqual(1);
  });

  it("surfaces the status payload of a 404 in OneRosterClientError (notes §5.2)", async () => {
    const e = await failure(clientOf().getOk("/users/no-such-user"));
    expect(e.code).toBe("HTTP_STATUS");
    expect(e.status).toBe(404);
    expect(e.url).toBe(`${sp.provider.baseUrl}/users/no-such-user`);
    expect(e.providerStatus).toMatchObject({ codeMajor: "failure", severity: "error", codeMinor: "unknownobject" });
    expect(e.message).toContain("failure/error/unknownobject");
  });

  it("surfaces a 403 for a token without the endpoint's scope (notes §6.2)", async () => {
    const client = clientOf({ scope: SCOPES.rosterCore });
    expect((await client.getOk("/users", { limit: 1 })).status).toBe(200);
    const e = await failure(client.getOk("/demographics", { limit: 1 }));
    expect(e.status).toBe(403);
    expect(e.providerStatus?.codeMinor).toBe("forbidden");
  });

  it("fails with TOKEN_FAILED, the status and the RFC 6749 error for a wrong secret, without retrying", async () => {
    const client = clientOf({ clientSecret: "not-the-secret-at-all" });
    const e = await failure(client.getOk("/users"));
    expect(e.code).toBe("TOKEN_FAILED");
    expect(e.status).toBe(401);
    expect(e.message).toContain("invalid_client");
    expect(e.message).not.toContain("not-the-secret-at-all");
    expect(client.requestCount).toBe(1);
  });

  it("sends the credentials in the form body when asked to (client_secret_post)", async () => {
    const client = clientOf({ clientAuth: "post" });
    expect((await client.getOk("/users", { limit: 1 })).status).toBe(200);
  });
});

describe("OneRosterClient against a misbehaving server", () => {
  const clientFor = (server: ScriptedServer, options: Partial<ClientOptions> = {}) =>
    new OneRosterClient({
      baseUrl: `${server.origin}/ims/oneroster/v1p1`,
      tokenUrl: `${server.origin}/token`,
      clientId: "client",
      clientSecret: "secret",
      minRetryDelayMs: 100,
      maxRetryDelayMs: 1000,
      ...options,
    });
  const isToken = (url: string) => url === "/token";
  const busy = {
    statusInfoSet: [{ imsx_codeMajor: "failure", imsx_severity: "error", imsx_codeMinor: "server_busy" }],
  };

  scriptedTest(
    "retries 5xx answers with doubling, jittered backoff through the injected sleep",
    async ({ scripted }) => {
      const server = await scripted((req, res, n) => {
        if (isToken(req.url)) {
          return sendJson(res, 200, { access_token: "t1", token_type: "bearer", expires_in: 3600 });
        }
        return n <= 3 ? sendJson(res, 503, busy) : sendJson(res, 200, { users: [] });
      });
      const { sleep, waits } = recordingSleep();
      const retries: number[] = [];
      const client = clientFor(server, {
        sleep,
        onEvent: (e) => e.type === "retry" && retries.push(e.waitMs),
      });
      const res = await client.getOk("/users");
      expect(res.json).toEqual({ users: [] });
      expect(server.count("/ims/oneroster/v1p1/users")).toBe(4);
      expect(client.retryCount).toBe(3);
      // 100 ms doubling, each with up to 100 % jitter, capped at 1000 ms.
      expect(waits).toHaveLength(3);
      expect(waits[0]).toBeGreaterThanOrEqual(100);
      expect(waits[0]).toBeLessThanOrEqual(200);
      expect(waits[1]).toBeGreaterThanOrEqual(200);
      expect(waits[1]).toBeLessThanOrEqual(400);
      expect(waits[2]).toBeGreaterThanOrEqual(400);
      expect(waits[2]).toBeLessThanOrEqual(800);
      expect(retries).toEqual(waits);
    },
  );

  scriptedTest("caps the backoff at maxRetryDelayMs", async ({ scripted }) => {
    const server = await scripted((req, res, n) =>
      isToken(req.url) ? sendJson(res, 200, { access_token: "t1" }) : sendJson(res, n <= 6 ? 502 : 200, {}),
    );
    const { sleep, waits } = recordingSleep();
    await clientFor(server, { sleep, retries: 6 }).getOk("/users");
    expect(waits).toHaveLength(6);
    expect(waits.slice(4)).toEqual([1000, 1000]);
  });

  scriptedTest(
    "waits what Retry-After asks, in seconds or as an HTTP-date, when it is longer than the backoff",
    async ({ scripted }) => {
      const now = Date.parse("2026-09-16T08:00:00.000Z");
      const server = await scripted((req, res, n) => {
        if (isToken(req.url)) {
          return sendJson(res, 200, { access_token: "t1" });
        }
        if (n === 1) {
          return sendJson(res, 429, busy, { "retry-after": "7" });
        }
        if (n === 2) {
          return sendJson(res, 503, busy, { "retry-after": new Date(now + 3000).toUTCString() });
        }
        return sendJson(res, 200, { users: [] });
      });
      const { sleep, waits } = recordingSleep();
      await clientFor(server, { sleep, now: () => now }).getOk("/users");
      expect(waits).toEqual([7000, 3000]);
    },
  );

  scriptedTest(
    "holds every request of the client after a 429 until its Retry-After has passed, not only the one refused",
    async ({ scripted }) => {
      let now = Date.parse("2026-09-16T08:00:00.000Z");
      const server = await scripted((req, res, n) => {
        if (isToken(req.url)) {
          return sendJson(res, 200, { access_token: "t1" });
        }
        const refused = n === 1 && req.url === "/ims/oneroster/v1p1/users";
        return refused ? sendJson(res, 429, busy, { "retry-after": "2" }) : sendJson(res, 200, { users: [] });
      });
      const { sleep, waits } = recordingSleep();
      const client = clientFor(server, { sleep, now: () => now });
      await client.getOk("/users");
      expect(waits).toEqual([2000]);
      // Another walk of the same client, before the provider's 2 s are over: it waits the rest, without a 429.
      now += 500;
      await client.getOk("/orgs");
      expect(waits).toEqual([2000, 1500]);
      // Once they are over, nothing is held.
      now += 2000;
      await client.getOk("/classes");
      expect(waits).toEqual([2000, 1500]);
      expect(server.count("/ims/oneroster/v1p1/orgs")).toBe(1);
    },
  );

  scriptedTest("cuts a Retry-After longer than maxRetryAfterMs", async ({ scripted }) => {
    const server = await scripted((req, res, n) => {
      if (isToken(req.url)) {
        return sendJson(res, 200, { access_token: "t1" });
      }
      return n === 1 ? sendJson(res, 429, busy, { "retry-after": "86400" }) : sendJson(res, 200, {});
    });
    const { sleep, waits } = recordingSleep();
    await clientFor(server, { sleep, maxRetryAfterMs: 5000 }).getOk("/users");
    expect(waits).toEqual([5000]);
  });

  scriptedTest(
    "hands back the last retryable answer when retries run out; getOk throws it with its payload",
    async ({ scripted }) => {
      const server = await scripted((req, res) =>
        isToken(req.url) ? sendJson(res, 200, { access_token: "t1" }) : sendJson(res, 503, busy),
      );
      const { sleep, waits } = recordingSleep();
      const client = clientFor(server, { sleep, retries: 2 });
      const res = await client.request("GET", "/users");
      expect(res.status).toBe(503);
      expect(server.count("/ims/oneroster/v1p1/users")).toBe(3);
      expect(waits).toHaveLength(2);
      const e = await failure(client.getOk("/users"));
      expect(e.code).toBe("HTTP_STATUS");
      expect(e.status).toBe(503);
      expect(e.providerStatus?.codeMinor).toBe("serverbusy");
    },
  );

  scriptedTest("does not retry a 4xx answer other than 408 and 429", async ({ scripted }) => {
    const server = await scripted((req, res) =>
      isToken(req.url) ? sendJson(res, 200, { access_token: "t1" }) : sendJson(res, 400, {}),
    );
    const { sleep, waits } = recordingSleep();
    const res = await clientFor(server, { sleep }).request("GET", "/users");
    expect(res.status).toBe(400);
    expect(server.count("/ims/oneroster/v1p1/users")).toBe(1);
    expect(waits).toEqual([]);
  });

  scriptedTest("retries a connection dropped in the middle of the body", async ({ scripted }) => {
    const body = JSON.stringify({ users: [{ sourcedId: "u1" }] });
    const server = await scripted((req, res, n) => {
      if (isToken(req.url)) {
        return sendJson(res, 200, { access_token: "t1" });
      }
      if (n === 1) {
        res.writeHead(200, { "content-type": "application/json", "content-length": String(body.length + 100) });
        res.write(body.slice(0, 10));
        setImmediate(() => res.socket?.destroy());
        return;
      }
      return sendJson(res, 200, JSON.parse(body));
    });
    const { sleep, waits } = recordingSleep();
    const res = await clientFor(server, { sleep }).getOk("/users");
    expect(res.json).toEqual({ users: [{ sourcedId: "u1" }] });
    expect(server.count("/ims/oneroster/v1p1/users")).toBe(2);
    expect(waits).toHaveLength(1);
  });

  scriptedTest("fails with TIMEOUT after its retries when the server never answers", async ({ scripted }) => {
    const server = await scripted((req, res) => {
      if (isToken(req.url)) {
        sendJson(res, 200, { access_token: "t1" });
      }
      // Data requests are left hanging.
    });
    const { sleep, waits } = recordingSleep();
    const e = await failure(clientFor(server, { sleep, retries: 1, timeoutMs: 50 }).getOk("/users"));
    expect(e.code).toBe("TIMEOUT");
    expect(e.attempts).toBe(2);
    expect(e.message).toContain("no answer within 50 ms");
    expect(waits).toHaveLength(1);
  });

  scriptedTest("counts a body that stalls half-way as a timeout", async ({ scripted }) => {
    const server = await scripted((req, res) => {
      if (isToken(req.url)) {
        return sendJson(res, 200, { access_token: "t1" });
      }
      res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
      res.write('{"users":[');
    });
    const e = await failure(clientFor(server, { sleep: async () => {}, retries: 0, timeoutMs: 50 }).getOk("/users"));
    expect(e.code).toBe("TIMEOUT");
  });

  scriptedTest("fails with NETWORK after its retries when the server drops every connection", async ({ scripted }) => {
    const server = await scripted((req, res) => {
      if (isToken(req.url)) {
        return sendJson(res, 200, { access_token: "t1" });
      }
      res.socket?.destroy();
    });
    const { sleep, waits } = recordingSleep();
    const e = await failure(clientFor(server, { sleep, retries: 2 }).getOk("/users"));
    expect(e.code).toBe("NETWORK");
    expect(e.attempts).toBe(3);
    expect(e.url).toBe(`${server.origin}/ims/oneroster/v1p1/users`);
    expect(server.count("/ims/oneroster/v1p1/users")).toBe(3);
    expect(waits).toHaveLength(2);
  });

  scriptedTest("fails with NETWORK after its retries when nothing listens", async ({ scripted }) => {
    const server = await scripted(() => {});
    await server.close();
    const { sleep, waits } = recordingSleep();
    const client = clientFor(server, { sleep, retries: 2 });
    // The token request is the first to find the port closed.
    const e = await failure(client.getOk("/users"));
    expect(e.code).toBe("TOKEN_FAILED");
    expect((e.cause as OneRosterClientError).code).toBe("NETWORK");
    expect((e.cause as OneRosterClientError).attempts).toBe(3);
    expect(waits).toHaveLength(2);
  });

  scriptedTest(
    "renews the token once on a 401 and lets a second 401 through with its payload",
    async ({ scripted }) => {
      let issued = 0;
      const server = await scripted((req, res) => {
        if (isToken(req.url)) {
          issued++;
          return sendJson(res, 200, { access_token: `token-${issued}`, expires_in: 3600 });
        }
        return sendJson(res, 401, {
          statusInfoSet: [{ imsx_codeMajor: "failure", imsx_severity: "error", imsx_codeMinor: "unauthorisedrequest" }],
        });
      });
      const client = clientFor(server, { sleep: async () => {} });
      const e = await failure(client.getOk("/users"));
      expect(e.status).toBe(401);
      expect(e.providerStatus?.codeMinor).toBe("unauthorisedrequest");
      const bearers = server.requests.filter((r) => !isToken(r.url)).map((r) => r.headers.authorization);
      expect(bearers).toEqual(["Bearer token-1", "Bearer token-2"]);
      expect(client.tokenCount).toBe(2);
    },
  );

  scriptedTest("asks for a token as RFC 6749 §4.4 says, with Basic or form credentials", async ({ scripted }) => {
    const server = await scripted((req, res) =>
      isToken(req.url) ? sendJson(res, 200, { access_token: "t1" }) : sendJson(res, 200, {}),
    );
    await clientFor(server, { scope: "a b" }).getOk("/users");
    await clientFor(server, { clientAuth: "post", clientId: "my client", clientSecret: "p&ss" }).getOk("/users");
    const [basic, post] = server.requests.filter((r) => isToken(r.url));
    expect(basic?.method).toBe("POST");
    expect(basic?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(basic?.headers.authorization).toBe(`Basic ${Buffer.from("client:secret").toString("base64")}`);
    expect(new URLSearchParams(basic?.body)).toEqual(
      new URLSearchParams({ grant_type: "client_credentials", scope: "a b" }),
    );
    expect(post?.headers.authorization).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(post?.body))).toEqual({
      grant_type: "client_credentials",
      client_id: "my client",
      client_secret: "p&ss",
    });
  });

  scriptedTest("keeps at most `concurrency` requests in flight", async ({ scripted }) => {
    const total = 5;
    let inFlight = 0;
    let maxInFlight = 0;
    let served = 0;
    const held: (() => void)[] = [];
    // Answers are held until two are in flight (or the last one arrives), so a limit above two would show.
    const release = () => {
      if (inFlight === 2 || served + inFlight === total) {
        for (const answer of held.splice(0)) {
          answer();
        }
      }
    };
    const server = await scripted((req, res) => {
      if (isToken(req.url)) {
        return sendJson(res, 200, { access_token: "t1" });
      }
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      held.push(() => {
        inFlight--;
        served++;
        sendJson(res, 200, {});
      });
      release();
    });
    const client = clientFor(server, { concurrency: 2 });
    await client.accessToken();
    const answers = await Promise.all(Array.from({ length: total }, (_, i) => client.getOk(`/users/u${i}`)));
    expect(answers).toHaveLength(total);
    expect(maxInFlight).toBe(2);
  });
});
