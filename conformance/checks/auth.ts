// Auth checks (notes §6.2, RFC 6749): token issuance and errors at the token endpoint (codes, challenges, a request
// without scope), 401 for missing, malformed, wrongly signed or expired bearer tokens, and per operation: the minimal
// scope its table row names is enough, a scope of another service is refused with 403.
import { ALL_SCOPES, type Endpoint, endpointById, fillPath, SCOPES, type Service } from "../../oneroster/index.js";
import { Blocked, type Check, type CheckOutcome, READ_PROFILES } from "../check.js";
import type { CheckContext, HttpResult } from "../context.js";
import { readOperations, resolveParams, topLevelCollections, unknownId } from "../discovery.js";
import { eachOf, ensure, expectErrorPayload, expectStatus, fail } from "../expect.js";
import { categoryBody, findWriteTarget, lineItemBody, resultBody } from "./gradebook-writes.js";

/** The endpoint auth checks call: the first parameterless collection of the selected profiles. */
function probe(ctx: CheckContext): Endpoint {
  const ep = topLevelCollections(ctx)[0];
  if (!ep) {
    throw new Error("no collection endpoint in the selected profiles");
  }
  return ep;
}

/** Expects 401 for a request carrying `token` (or none). */
async function expect401(ctx: CheckContext, token: string | undefined, what: string): Promise<HttpResult> {
  const ep = probe(ctx);
  const res = await ctx.get(ep.path, { auth: token === undefined ? { kind: "none" } : { kind: "bearer", token } });
  expectStatus(res, 401, `${what} on GET ${ep.path}`);
  return res;
}

/** Parses an RFC 6749 §5.2 error body and checks its `error` code. */
function expectOAuthError(res: HttpResult, status: number, code: string, what: string): void {
  expectStatus(res, status, what);
  const body = res.json as { error?: unknown } | undefined;
  ensure(body && typeof body === "object", `${what}: expected a JSON error body (RFC 6749 §5.2)`, res);
  ensure(body.error === code, `${what}: expected "error": "${code}", got ${JSON.stringify(body.error)}`, res, {
    error: body.error,
  });
}

/** The answer to a token without the needed scope: 403, or the 401 some providers send under --lenient (§9 item 1). */
function refused(ctx: CheckContext): number | number[] {
  return ctx.lenient ? [401, 403] : 403;
}

/**
 * Asks for a token holding only `scope` (short name `name`); a skip when the token endpoint refuses it, or when it
 * grants any of the `wider` scopes too (described as `widened`), since a scope check would then prove nothing.
 */
async function onlyScopeSkip(
  ctx: CheckContext,
  scope: string,
  name: string,
  wider: readonly string[],
  widened: string,
): Promise<{ skip: string } | undefined> {
  const tokenRes = await ctx.tokenRequest({ grant_type: "client_credentials", scope });
  if (tokenRes.status !== 200) {
    return { skip: `the token endpoint did not grant ${name} alone` };
  }
  const granted = (tokenRes.json as { scope?: unknown })?.scope;
  if (typeof granted === "string" && granted.split(" ").some((s) => wider.includes(s))) {
    return { skip: `the provider widened ${name} to ${widened}` };
  }
  return undefined;
}

/** A scope URI's short name (`roster-core.readonly`), for messages. */
const short = (scope: string) => scope.slice(scope.lastIndexOf("/") + 1);

/** A token the token endpoint grants for exactly this scope request, with the scopes it says it granted. */
interface Granted {
  token: string;
  /** The `scope` of the token response, when the provider sends one (RFC 6749 §5.1). */
  scopes?: string[];
}

/** Asks once per run for a token with `scope`; undefined when the token endpoint refuses it. */
function grantedToken(ctx: CheckContext, scope: string): Promise<Granted | undefined> {
  return ctx.once(`granted:${scope}`, async () => {
    const res = await ctx.tokenRequest({ grant_type: "client_credentials", scope });
    const body = res.json as { access_token?: unknown; scope?: unknown } | undefined;
    if (res.status !== 200 || typeof body?.access_token !== "string") {
      return undefined;
    }
    return {
      token: body.access_token,
      ...(typeof body.scope === "string" ? { scopes: body.scope.split(" ").filter(Boolean) } : {}),
    };
  });
}

/** The scopes of each v1p1 service (notes §6.2): a scope of another service never grants an operation. */
const SERVICE_SCOPES: Record<Service, readonly string[]> = {
  rostering: [SCOPES.rosterCore, SCOPES.roster, SCOPES.demographics],
  resources: [SCOPES.resource],
  gradebook: [SCOPES.gradebookRead, SCOPES.gradebookWrite, SCOPES.gradebookDelete],
};

/** The token endpoint's answer to a Basic login with a wrong secret for an unknown client (cached per run). */
function failedBasicLogin(ctx: CheckContext): Promise<HttpResult> {
  return ctx.once("failed-basic-login", () =>
    ctx.tokenRequest(
      { grant_type: "client_credentials", scope: ctx.defaultScope },
      { id: `${ctx.options.clientId}-unknown`, secret: "wrong-secret" },
    ),
  );
}

/** One gradebook write made with a token of its minimal scope. */
interface ScopedWrite {
  operationId: string;
  what: string;
  scope: string;
  res: HttpResult;
}

/**
 * PUTs a category, a line item and a result of its own with a gradebook.createput-only token, then DELETEs them with
 * a gradebook.delete-only token (AUTH-015 on the six write operations). A string says why it could not.
 */
async function minimalScopeWrites(ctx: CheckContext): Promise<ScopedWrite[] | string> {
  const target = await findWriteTarget(ctx);
  if (!target) {
    return "no class with an enrolled student to write against";
  }
  const put = await grantedToken(ctx, SCOPES.gradebookWrite);
  const del = await grantedToken(ctx, SCOPES.gradebookDelete);
  if (!put || !del) {
    return "the token endpoint did not grant gradebook.createput or gradebook.delete";
  }
  const ids = {
    category: `${ctx.runId}-scope-cat`,
    lineItem: `${ctx.runId}-scope-li`,
    result: `${ctx.runId}-scope-res`,
  };
  const objects = [
    ["putCategory", "deleteCategory", "/categories", "category", categoryBody(ctx, ids.category)],
    ["putLineItem", "deleteLineItem", "/lineItems", "lineItem", lineItemBody(ctx, target, ids.lineItem, ids.category)],
    ["putResult", "deleteResult", "/results", "result", resultBody(ctx, target, ids.result, ids.lineItem)],
  ] as const;
  const out: ScopedWrite[] = [];
  for (const [putOp, , path, envelope, body] of objects) {
    const full = `${path}/${encodeURIComponent(String(body.sourcedId))}`;
    ctx.deleteLater(full);
    const auth = { kind: "bearer", token: put.token } as const;
    const res = await ctx.putJson(full, JSON.stringify({ [envelope]: body }), auth);
    out.push({ operationId: putOp, what: `PUT ${full}`, scope: SCOPES.gradebookWrite, res });
  }
  for (const [, deleteOp, path, , body] of [...objects].reverse()) {
    const full = `${path}/${encodeURIComponent(String(body.sourcedId))}`;
    const res = await ctx.request("DELETE", full, { auth: { kind: "bearer", token: del.token } });
    out.push({ operationId: deleteOp, what: `DELETE ${full}`, scope: SCOPES.gradebookDelete, res });
  }
  ctx.clearCache();
  return out;
}

/** Flips characters in the signature part of a JWT, or in the middle of an opaque token. */
function tamper(token: string): string {
  const parts = token.split(".");
  const flip = (s: string) => s.replace(/[A-Za-z0-9]/g, (c) => (c === "A" ? "B" : "A"));
  if (parts.length === 3 && parts[2]) {
    return `${parts[0]}.${parts[1]}.${flip(parts[2])}`;
  }
  const mid = Math.floor(token.length / 2);
  return `${token.slice(0, mid)}${flip(token.slice(mid, mid + 8))}${token.slice(mid + 8)}`;
}

export const authChecks: Check[] = [
  {
    id: "AUTH-001",
    title: "MUST issue a bearer access token for the client_credentials grant with HTTP Basic client authentication",
    section: "§6.2",
    area: "auth",
    profiles: READ_PROFILES,
    async run(ctx): Promise<CheckOutcome> {
      const res = await ctx.tokenRequest({ grant_type: "client_credentials", scope: ctx.defaultScope });
      expectStatus(res, 200, "token request");
      const body = res.json as Record<string, unknown> | undefined;
      ensure(body && typeof body === "object", "token response is not a JSON object", res);
      ensure(
        typeof body.access_token === "string" && body.access_token.length > 0,
        "token response has no access_token",
        res,
      );
      ensure(
        typeof body.token_type === "string" && body.token_type.toLowerCase() === "bearer",
        `token_type must be "bearer", got ${JSON.stringify(body.token_type)}`,
        res,
        { token_type: body.token_type },
      );
      ensure(
        body.expires_in === undefined || typeof body.expires_in === "number",
        "expires_in must be a number of seconds",
        res,
        { expires_in: body.expires_in },
      );
      return undefined;
    },
  },
  {
    id: "AUTH-002",
    title: "MUST answer 401 to a request without a bearer token",
    section: "§6.2, §5.1",
    area: "auth",
    profiles: READ_PROFILES,
    async run(ctx) {
      await expect401(ctx, undefined, "no token");
      return undefined;
    },
  },
  {
    id: "AUTH-003",
    title: "SHOULD carry a status payload with codeMinor unauthorisedrequest in a 401 answer",
    section: "§5.1, §5.2",
    area: "auth",
    profiles: READ_PROFILES,
    async run(ctx) {
      const res = await expect401(ctx, undefined, "no token");
      expectErrorPayload(ctx, res, "unauthorisedrequest", "401 body");
      return undefined;
    },
  },
  {
    id: "AUTH-004",
    title: "MUST answer 401 to a malformed bearer token",
    section: "§6.2",
    area: "auth",
    profiles: READ_PROFILES,
    async run(ctx) {
      await expect401(ctx, "not-a-token", "malformed token");
      return undefined;
    },
  },
  {
    id: "AUTH-005",
    title: "MUST answer 401 to a bearer token whose signature or value has been tampered with",
    section: "§6.2",
    area: "auth",
    profiles: READ_PROFILES,
    async run(ctx) {
      await expect401(ctx, tamper(await ctx.token()), "tampered token");
      return undefined;
    },
  },
  {
    id: "AUTH-006",
    title: "MUST answer 401 to an expired bearer token",
    section: "§6.2",
    area: "auth",
    profiles: READ_PROFILES,
    async run(ctx) {
      if (!ctx.expiredToken) {
        return { skip: "no expired token supplied (--expired-token)" };
      }
      await expect401(ctx, ctx.expiredToken, "expired token");
      return undefined;
    },
  },
  {
    id: "AUTH-007",
    title: "MUST answer 403 to a valid token that lacks the endpoint's scope",
    section: "§6.2, §5.1",
    area: "auth",
    profiles: READ_PROFILES,
    async run(ctx): Promise<CheckOutcome> {
      // Every read operation, each with a token holding only a scope of another service (notes §6.2 table).
      const { calls, uncalled } = await readOperations(ctx);
      const partial = [...uncalled];
      let tried = 0;
      await eachOf(calls, async ({ endpoint, path }) => {
        let chosen: { scope: string; granted: Granted } | undefined;
        for (const scope of ALL_SCOPES.filter((s) => !SERVICE_SCOPES[endpoint.service].includes(s))) {
          const granted = await grantedToken(ctx, scope);
          if (granted && !(granted.scopes ?? []).some((g) => endpoint.scopes.includes(g))) {
            chosen = { scope, granted };
            break;
          }
        }
        if (!chosen) {
          partial.push(`${endpoint.operationId}: the token endpoint granted no scope of another service`);
          return;
        }
        tried++;
        const res = await ctx.get(path, { auth: { kind: "bearer", token: chosen.granted.token } });
        expectStatus(
          res,
          refused(ctx),
          `${endpoint.operationId} GET ${path} with a token holding only ${short(chosen.scope)}`,
        );
      });
      if (tried === 0) {
        return { skip: partial.join("; ") || "no operation in the selected profiles" };
      }
      return partial.length > 0 ? { partial } : undefined;
    },
  },
  {
    id: "AUTH-008",
    title: "SHOULD refuse a roster-core.readonly token on relationship endpoints (they need roster.readonly)",
    section: "§1.3, §6.2",
    area: "auth",
    profiles: ["rostering"],
    async run(ctx) {
      const skip = await onlyScopeSkip(
        ctx,
        SCOPES.rosterCore,
        "roster-core.readonly",
        [SCOPES.roster],
        "roster.readonly",
      );
      if (skip) {
        return skip;
      }
      const ep = endpointById("getClassesForSchool");
      const values = (await resolveParams(ctx, ep)) ?? { schoolId: unknownId(ctx) };
      const res = await ctx.get(fillPath(ep.path, values), { auth: { kind: "scoped", scope: SCOPES.rosterCore } });
      expectStatus(res, refused(ctx), "GET /schools/{id}/classes with a roster-core.readonly token");
      return undefined;
    },
  },
  {
    id: "AUTH-009",
    title: "MUST answer 401 with error invalid_client to a token request with a wrong client secret",
    section: "RFC 6749 §5.2",
    area: "auth",
    profiles: READ_PROFILES,
    async run(ctx) {
      const res = await ctx.tokenRequest(
        { grant_type: "client_credentials", scope: ctx.defaultScope },
        { id: ctx.options.clientId, secret: `${ctx.options.clientSecret}-wrong` },
      );
      expectOAuthError(res, 401, "invalid_client", "token request with a wrong secret");
      return undefined;
    },
  },
  {
    id: "AUTH-010",
    title: "MUST include a WWW-Authenticate header in a 401 invalid_client answer to Basic authentication",
    section: "RFC 6749 §5.2",
    area: "auth",
    profiles: READ_PROFILES,
    async run(ctx) {
      const res = await failedBasicLogin(ctx);
      expectStatus(res, 401, "token request for an unknown client");
      ensure(res.headers.get("www-authenticate"), "401 from the token endpoint has no WWW-Authenticate header", res);
      return undefined;
    },
  },
  {
    id: "AUTH-011",
    title: "MUST answer 400 with error unsupported_grant_type to a grant other than client_credentials",
    section: "RFC 6749 §5.2",
    area: "auth",
    profiles: READ_PROFILES,
    async run(ctx) {
      const res = await ctx.tokenRequest({
        grant_type: "password",
        username: "x",
        password: "y",
        scope: ctx.defaultScope,
      });
      expectOAuthError(res, 400, "unsupported_grant_type", "token request with grant_type=password");
      return undefined;
    },
  },
  {
    id: "AUTH-012",
    title: "SHOULD answer 400 with error invalid_scope to a token request for an unknown scope",
    section: "RFC 6749 §5.2",
    area: "auth",
    profiles: READ_PROFILES,
    async run(ctx) {
      const res = await ctx.tokenRequest({
        grant_type: "client_credentials",
        scope: "https://example.invalid/scope/not-a-scope",
      });
      expectOAuthError(res, 400, "invalid_scope", "token request for an unknown scope");
      return undefined;
    },
  },
  {
    id: "AUTH-013",
    title: "SHOULD send Cache-Control: no-store with an access token",
    section: "RFC 6749 §5.1",
    area: "auth",
    profiles: READ_PROFILES,
    async run(ctx) {
      const res = await ctx.tokenRequest({ grant_type: "client_credentials", scope: ctx.defaultScope });
      expectStatus(res, 200, "token request");
      const cc = res.headers.get("cache-control") ?? "";
      if (!/no-store/i.test(cc)) {
        fail(`token response Cache-Control is "${cc}", expected no-store`, res, { "cache-control": cc });
      }
      return undefined;
    },
  },
  {
    id: "AUTH-014",
    title:
      "MUST answer 403 to a gradebook PUT or DELETE with a token holding only gradebook.readonly, and change nothing",
    section: "§6.2, §1.5",
    area: "auth",
    profiles: ["gradebook"],
    writes: true,
    async run(ctx) {
      const skip = await onlyScopeSkip(
        ctx,
        SCOPES.gradebookRead,
        "gradebook.readonly",
        [SCOPES.gradebookWrite, SCOPES.gradebookDelete],
        "a write scope",
      );
      if (skip) {
        return skip;
      }
      const path = `/categories/${ctx.runId}-scope`;
      ctx.deleteLater(path);
      const auth = { kind: "scoped", scope: SCOPES.gradebookRead } as const;
      const put = await ctx.putJson(
        path,
        JSON.stringify({ category: { sourcedId: `${ctx.runId}-scope`, title: "scope probe" } }),
        auth,
      );
      expectStatus(put, refused(ctx), `PUT ${path} with a gradebook.readonly token`);
      const del = await ctx.request("DELETE", "/categories/any", { auth });
      expectStatus(del, refused(ctx), "DELETE /categories/{id} with a gradebook.readonly token");
      expectStatus(await ctx.get(path), 404, `GET ${path} after the refused PUT`);
      return undefined;
    },
  },
  {
    id: "AUTH-015",
    title: "MUST accept, on every operation, a token holding only the minimal scope its table row names",
    section: "§1.3, §1.4, §1.5, §6.2",
    area: "auth",
    profiles: READ_PROFILES,
    async run(ctx): Promise<CheckOutcome> {
      const { calls, uncalled } = await readOperations(ctx);
      const partial = [...uncalled];
      let tried = 0;
      /** Answers a call made with the minimal scope; only 401 and 403 are this check's concern. */
      const judge = (operationId: string, what: string, scope: string, res: HttpResult) => {
        tried++;
        if (res.status === 401 || res.status === 403) {
          fail(
            `${operationId} ${what} refused (${res.status}) a token holding ${short(scope)}, the scope its table row names`,
            res,
            { status: res.status, scope },
          );
        }
      };
      const writes = ctx.endpoints(["put", "delete"]);
      await eachOf([...calls, "writes" as const], async (item) => {
        if (item === "writes") {
          if (writes.length === 0) {
            return;
          }
          const made = ctx.allowWrites ? await minimalScopeWrites(ctx) : "a write, run with --allow-writes";
          if (typeof made === "string") {
            partial.push(...writes.map((e) => `${e.operationId}: ${made}`));
            return;
          }
          await eachOf(made, async (w) => judge(w.operationId, w.what, w.scope, w.res));
          return;
        }
        // The table's first scope is the narrowest one (roster-core.readonly before roster.readonly).
        const minimal = item.endpoint.scopes[0] ?? "";
        const granted = await grantedToken(ctx, minimal);
        if (!granted) {
          partial.push(`${item.endpoint.operationId}: the token endpoint did not grant ${short(minimal)}`);
          return;
        }
        const res = await ctx.get(item.path, { auth: { kind: "bearer", token: granted.token } });
        judge(item.endpoint.operationId, `GET ${item.path}`, minimal, res);
      });
      if (tried === 0) {
        return { skip: partial.join("; ") || "no operation in the selected profiles" };
      }
      return partial.length > 0 ? { partial } : undefined;
    },
  },
  {
    id: "AUTH-016",
    title: "MUST answer a token request without scope with a token of the client's default scopes or 400 invalid_scope",
    section: "RFC 6749 §3.3, §5.2",
    area: "auth",
    profiles: READ_PROFILES,
    async run(ctx) {
      const res = await ctx.tokenRequest({ grant_type: "client_credentials" });
      const body = res.json as { access_token?: unknown; error?: unknown } | undefined;
      if (res.status === 200 && typeof body?.access_token === "string") {
        return undefined;
      }
      ensure(
        res.status === 400 && body?.error === "invalid_scope",
        `token request without scope: expected 200 with a token (default scope) or 400 "invalid_scope", got ${res.status} ${JSON.stringify(body?.error ?? null)}`,
        res,
        { status: res.status, error: body?.error ?? null },
      );
      return undefined;
    },
  },
  {
    id: "AUTH-017",
    title: "MUST challenge with the Basic scheme in the WWW-Authenticate header of a 401 to a failed HTTP Basic login",
    section: "RFC 6749 §5.2",
    area: "auth",
    profiles: READ_PROFILES,
    async run(ctx) {
      const res = await failedBasicLogin(ctx);
      const header = res.headers.get("www-authenticate");
      if (res.status !== 401 || !header) {
        throw new Blocked("AUTH-010", {
          message: `the failed Basic login answered ${res.status}${header ? "" : " without WWW-Authenticate"}`,
          exchange: res.exchange,
        });
      }
      // A header may list several challenges; one of them must be Basic (RFC 7235 §4.1).
      ensure(
        /(^|,)\s*Basic(\s|,|$)/i.test(header),
        `401 from the token endpoint challenges with "${header}", not with Basic, the scheme the client used`,
        res,
        { "www-authenticate": header },
      );
      return undefined;
    },
  },
];
