// Error-handling checks (notes §3.4, §5): bad query values never produce a 5xx, bad limit/offset answer 400
// invaliddata, unknown paths answer 404 with a status payload, and read-only paths refuse writes.
import { type Check, READ_PROFILES, ROSTERING } from "../check.js";
import { primaryCollections } from "../discovery.js";
import { eachOf, ensure, expectErrorPayload, expectStatus, fail } from "../expect.js";

/** Query strings a client may send by mistake; none may crash a provider. */
const BAD_QUERIES: Record<string, string>[] = [
  { limit: "abc" },
  { limit: "-1" },
  { limit: "0" },
  { offset: "-5" },
  { offset: "abc" },
  { limit: "1.5" },
  { sort: "sourcedId", orderBy: "sideways" },
  { sort: "" },
  { filter: "" },
  { filter: "garbage" },
  { filter: "sourcedId='a' AND" },
  { filter: "sourcedId='a' AND status='active' OR status='x'" },
  { filter: "dateLastModified>'not-a-date'" },
  { filter: "sourcedId~'%'" },
  { filter: "sourcedId='\u0000'" },
  { fields: ",,," },
  { fields: "sourcedId,sourcedId" },
];

export const errorChecks: Check[] = [
  {
    id: "ERR-001",
    title: "MUST NOT answer a malformed query parameter with a 5xx: every bad input gets a defined 2xx or 4xx answer",
    section: "§3.4, §5.1",
    area: "errors",
    profiles: READ_PROFILES,
    async run(ctx) {
      await eachOf(await primaryCollections(ctx), async (ep) => {
        await eachOf(BAD_QUERIES, async (query) => {
          const res = await ctx.get(ep.path, { query });
          const q = new URL(res.url).search;
          ensure(res.status < 500, `GET ${ep.path}${q} answered ${res.status}`, res);
          ensure(
            res.json && typeof res.json === "object",
            `GET ${ep.path}${q} answered ${res.status} without a JSON body`,
            res,
          );
        });
      });
      return undefined;
    },
  },
  {
    id: "ERR-002",
    title:
      "SHOULD answer 400 with codeMinor invaliddata to a limit or offset that is not a non-negative integer (limit ≥ 1)",
    section: "§3.4",
    area: "errors",
    profiles: READ_PROFILES,
    async run(ctx) {
      await eachOf(await primaryCollections(ctx), async (ep) => {
        await eachOf(
          [{ limit: "abc" }, { limit: "-1" }, { limit: "0" }, { offset: "-5" }, { offset: "abc" }],
          async (query) => {
            const res = await ctx.get(ep.path, { query });
            const q = new URL(res.url).search;
            expectStatus(res, 400, `GET ${ep.path}${q}`);
            expectErrorPayload(ctx, res, "invaliddata", `GET ${ep.path}${q}`);
          },
        );
      });
      return undefined;
    },
  },
  {
    id: "ERR-003",
    title: "SHOULD answer 404 with a status payload to an unknown path under the base URL",
    section: "§5.1",
    area: "errors",
    profiles: READ_PROFILES,
    async run(ctx) {
      const res = await ctx.get("/notAnEndpoint");
      expectStatus(res, 404, "GET /notAnEndpoint");
      expectErrorPayload(ctx, res, "unknownobject", "404 body");
      return undefined;
    },
  },
  {
    id: "ERR-004",
    title: "SHOULD send error answers as application/json",
    section: "§5.2",
    area: "errors",
    profiles: READ_PROFILES,
    async run(ctx) {
      const ep = (await primaryCollections(ctx))[0];
      if (!ep) {
        return { skip: "no collection" };
      }
      await eachOf([{ limit: "abc" }, { filter: "notAField='x'" }], async (query) => {
        const res = await ctx.get(ep.path, { query });
        const type = res.headers.get("content-type") ?? "";
        if (res.status >= 400 && !/json/i.test(type)) {
          fail(`GET ${res.url} answered ${res.status} with Content-Type "${type}"`, res);
        }
      });
      return undefined;
    },
  },
  {
    id: "ERR-005",
    title: "MUST refuse a PUT or DELETE on a read-only rostering path with a 4xx and change nothing",
    section: "§1.1",
    area: "errors",
    profiles: ROSTERING,
    writes: true,
    async run(ctx) {
      const id = `${ctx.runId}-readonly`;
      await eachOf(["PUT", "DELETE"], async (method) => {
        const res =
          method === "PUT"
            ? await ctx.putJson(`/orgs/${id}`, JSON.stringify({ org: { sourcedId: id, name: "x", type: "school" } }))
            : await ctx.request(method, `/orgs/${id}`);
        ensure(res.status >= 400 && res.status < 500, `${method} /orgs/${id} answered ${res.status}`, res);
      });
      const after = await ctx.get(`/orgs/${id}`);
      expectStatus(after, 404, `GET /orgs/${id} after the refused PUT`);
      return undefined;
    },
  },
];
