// The client kit's pager (walkPages, OneRosterClient.pages) against our real provider and its quirk presets: every
// record exactly once, the defect named once, a short page never taken for the end (notes §4); plus pages no
// provider of ours serves (no paging headers, offset ignored), from a scripted server.
import { eq } from "drizzle-orm";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  buildUrl,
  type ClientOptions,
  OneRosterClient,
  OneRosterClientError,
  type Page,
  type PageAnswer,
  type WalkOptions,
  walkPages,
} from "../../oneroster/client/index.js";
import { users } from "../../server/db/schema.js";
import type { QuirkName } from "../../server/faults/presets.js";
import { describeEachDb } from "../support/each-db.js";
import { scriptedTest, sendJson } from "../support/scripted-server.js";
import { SEEDED_NOW, useSeededProvider } from "../support/seeded-provider.js";

const ADMIN_TOKEN = "rosterlab-admin-token-for-pager-tests";
const PAGE_SIZE = 25;
const ACTIVE_USERS: WalkOptions = {
  path: "/users",
  envelope: "users",
  pageSize: PAGE_SIZE,
  query: { filter: "status='active'", sort: "sourcedId" },
};

interface Walk {
  pages: Page[];
  ids: string[];
  warnings: string[];
}

async function walk(pages: AsyncIterable<Page>): Promise<Walk> {
  const out: Walk = { pages: [], ids: [], warnings: [] };
  for await (const page of pages) {
    out.pages.push(page);
    out.ids.push(...page.records.map((r) => (r as { sourcedId: string }).sourcedId));
    out.warnings.push(...page.warnings);
  }
  return out;
}

const sorted = (ids: Iterable<string>) => [...ids].sort();

// On both backends: the suite reads and writes the provider's tables directly (the reference ids, a mid-walk insert).
describeEachDb("the pager over our provider", (kind) => {
  const sp = useSeededProvider(kind, { config: { adminToken: ADMIN_TOKEN } });
  /** The active users' ids, from the database itself. */
  let activeIds: string[];

  const clientOf = (options: Partial<ClientOptions> = {}) =>
    new OneRosterClient({
      baseUrl: sp.provider.baseUrl,
      tokenUrl: sp.provider.tokenUrl,
      clientId: sp.provider.clientId,
      clientSecret: sp.provider.clientSecret,
      sleep: async () => {},
      ...options,
    });

  async function setQuirks(quirks: QuirkName[]): Promise<void> {
    const res = await sp.api(`${sp.provider.origin}/admin/quirks`, {
      method: "PUT",
      token: ADMIN_TOKEN,
      body: { quirks },
    });
    expect(res.status).toBe(200);
    expect(sorted(res.body.active)).toEqual(sorted(quirks));
  }

  beforeAll(async () => {
    const rows = await sp.db.db.select({ id: users.sourcedId }).from(users).where(eq(users.status, "active"));
    activeIds = sorted(rows.map((r) => r.id));
  });

  beforeEach(async () => {
    await setQuirks([]);
    sp.provider.deps.clock.set(SEEDED_NOW);
  });

  it("has a district big enough to page: a full read in one request matches the database", async () => {
    expect(activeIds.length).toBeGreaterThan(4 * PAGE_SIZE);
    const res = await sp.api("/users?limit=10000&filter=status%3D%27active%27");
    expect(res.status).toBe(200);
    expect(Number(res.headers.get("x-total-count"))).toBe(activeIds.length);
    expect(sorted(res.body.users.map((u: { sourcedId: string }) => u.sourcedId))).toEqual(activeIds);
  });

  const CASES: { quirks: QuirkName[]; warns: RegExp[] }[] = [
    { quirks: [], warns: [] },
    {
      quirks: ["no-total-count"],
      warns: [/^the provider sends no X-Total-Count; the end is taken from the Link header/],
    },
    { quirks: ["silent-limit-cap"], warns: [/^Link next points at offset 25 but 10 records came from offset 0; /] },
    {
      quirks: ["no-total-count", "silent-limit-cap"],
      warns: [
        /^the provider sends no X-Total-Count; the end is taken from the Link header/,
        /^Link next points at offset 25 but 10 records came from offset 0; /,
        /^Link named no next page after/,
      ],
    },
    {
      quirks: ["link-drops-filter"],
      warns: [/^Link next drops the filter parameter/, /^Link next drops the sort parameter/],
    },
    { quirks: ["wrong-envelope"], warns: [/^records arrived under "data" instead of the envelope key "users"/] },
    { quirks: ["page-local-sort"], warns: [] },
  ];

  it.each(CASES)("reads every record exactly once with quirks $quirks", async ({ quirks, warns }) => {
    await setQuirks(quirks);
    const result = await walk(clientOf().pages(ACTIVE_USERS));
    expect(result.ids).toHaveLength(new Set(result.ids).size);
    expect(sorted(result.ids)).toEqual(activeIds);
    expect(result.warnings).toHaveLength(warns.length);
    warns.forEach((re, i) => {
      expect(result.warnings[i]).toMatch(re);
    });
    expect(result.pages.at(-1)?.next).toBeUndefined();
  });

  it.each<{ quirks: QuirkName[] }>([
    { quirks: ["silent-limit-cap"] },
    { quirks: ["no-total-count", "silent-limit-cap"] },
  ])("never takes a short page for the end (quirks $quirks)", async ({ quirks }) => {
    await setQuirks(quirks);
    const { pages } = await walk(clientOf().pages(ACTIVE_USERS));
    const withRecords = pages.filter((p) => p.records.length > 0);
    // Every page held 10 records although 25 were asked for, and the walk went on after each of them.
    expect(withRecords.length).toBe(Math.ceil(activeIds.length / 10));
    expect(withRecords.slice(0, -1).every((p) => p.records.length === 10 && p.next !== undefined)).toBe(true);
  });

  it("reads on an expired token that the accept-expired-tokens provider still takes, without renewing it", async () => {
    const frozen = Date.parse(SEEDED_NOW);
    const client = clientOf({ now: () => frozen });
    await client.accessToken();
    // Two hours on, the token has expired for the provider; the client's own clock says it is fresh.
    sp.provider.deps.clock.advance(2 * 3600 * 1000);
    await setQuirks(["accept-expired-tokens"]);
    const result = await walk(client.pages(ACTIVE_USERS));
    expect(sorted(result.ids)).toEqual(activeIds);
    expect(result.warnings).toEqual([]);
    expect(client.tokenCount).toBe(1);
    // Without the quirk the same token is refused and renewed once, and the walk still reads everything.
    await setQuirks([]);
    const again = await walk(client.pages(ACTIVE_USERS));
    expect(sorted(again.ids)).toEqual(activeIds);
    expect(client.tokenCount).toBe(2);
  });

  it("resumes from a saved cursor without reading a record twice or skipping one", async () => {
    await setQuirks(["silent-limit-cap"]);
    const client = clientOf();
    const first: string[] = [];
    let saved: Page["next"];
    for await (const page of client.pages(ACTIVE_USERS)) {
      first.push(...page.records.map((r) => (r as { sourcedId: string }).sourcedId));
      if (page.after.pages === 3) {
        saved = page.next;
        break;
      }
    }
    expect(saved).toEqual({ offset: 30, pages: 3, firstTotal: activeIds.length });
    const rest = await walk(client.pages({ ...ACTIVE_USERS, ...(saved ? { start: saved } : {}) }));
    expect(sorted([...first, ...rest.ids])).toEqual(activeIds);
    expect(first.length + rest.ids.length).toBe(activeIds.length);
  });

  it("notices X-Total-Count moving mid-walk and marks the cursor unstable", async () => {
    const client = clientOf();
    const seen: string[] = [];
    let last: Page | undefined;
    for await (const page of client.pages(ACTIVE_USERS)) {
      seen.push(...page.records.map((r) => (r as { sourcedId: string }).sourcedId), ...page.warnings);
      last = page;
      if (page.after.pages === 1) {
        // A new user sorted after every other one arrives while the walk is under way.
        await sp.db.db.insert(users).values({
          sourcedId: "zzzz-new-user",
          status: "active",
          dateLastModified: new Date(SEEDED_NOW),
          username: "zzzz.new",
          enabledUser: true,
          givenName: "New",
          familyName: "User",
          role: "student",
          orgIds: ["no-such-org"],
        });
      }
    }
    try {
      expect(seen).toContain("zzzz-new-user");
      expect(seen).toContain(
        `X-Total-Count moved from ${activeIds.length} to ${activeIds.length + 1} while paging: the collection changed during the read`,
      );
      expect(last?.after.unstable).toBe(true);
    } finally {
      await sp.db.db.delete(users).where(eq(users.sourcedId, "zzzz-new-user"));
    }
  });

  it("throws HTTP_STATUS with the provider's status payload for a bad filter (notes §3.4)", async () => {
    const error = await walk(clientOf().pages({ ...ACTIVE_USERS, query: { filter: "shoeSize='9'" } })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OneRosterClientError);
    const e = error as OneRosterClientError;
    expect(e.code).toBe("HTTP_STATUS");
    expect(e.status).toBe(400);
    // Tokens arrive normalised (lower case, no spaces or underscores; notes §5.2), whatever spelling was sent.
    expect(e.providerStatus).toMatchObject({
      codeMajor: "failure",
      severity: "error",
      codeMinor: "invalidfilterfield",
    });
    expect(e.providerStatus?.description).toContain("shoeSize");
    expect(e.message).toContain("failure/error/invalidfilterfield");
  });

  it("refuses records under another key when anyEnvelope is false", async () => {
    await setQuirks(["wrong-envelope"]);
    const error = await walk(clientOf().pages({ ...ACTIVE_USERS, anyEnvelope: false })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OneRosterClientError);
    expect((error as OneRosterClientError).code).toBe("BAD_RESPONSE");
  });
});

/** A page fetcher over plain fetch, as the conformance suite injects one. */
function fetcherFor(origin: string) {
  return async (path: string, query: Record<string, string | number | undefined>): Promise<PageAnswer> => {
    const url = buildUrl(origin, path, query);
    const res = await fetch(url);
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined, url };
  };
}

/** 23 records `r01…r23`, served by offset and limit, capped at `cap`. */
function records(offset: number, limit: number, cap = Number.POSITIVE_INFINITY) {
  const all = Array.from({ length: 23 }, (_, i) => ({ sourcedId: `r${String(i + 1).padStart(2, "0")}` }));
  return all.slice(offset, offset + Math.min(limit, cap));
}

function pageParams(url: string): { offset: number; limit: number } {
  const q = new URL(url, "http://x").searchParams;
  return { offset: Number(q.get("offset") ?? 0), limit: Number(q.get("limit") ?? 100) };
}

const ALL_23 = records(0, 23).map((r) => r.sourcedId);

describe("the pager over pages no provider of ours serves", () => {
  scriptedTest("reads until an empty page when neither X-Total-Count nor Link is sent", async ({ scripted }) => {
    const server = await scripted((req, res) => {
      const { offset, limit } = pageParams(req.url);
      sendJson(res, 200, { users: records(offset, limit, 10) });
    });
    const result = await walk(
      walkPages(fetcherFor(server.origin), { path: "/users", envelope: "users", pageSize: 25 }),
    );
    expect(result.ids).toEqual(ALL_23);
    expect(result.pages.map((p) => p.records.length)).toEqual([10, 10, 3, 0]);
    expect(result.warnings).toEqual(["the provider sends neither X-Total-Count nor Link; reading until an empty page"]);
  });

  scriptedTest("pages by X-Total-Count when the Link header is malformed, and says so once", async ({ scripted }) => {
    const server = await scripted((req, res) => {
      const { offset, limit } = pageParams(req.url);
      sendJson(res, 200, { users: records(offset, limit) }, { "x-total-count": "23", link: "next page please" });
    });
    const result = await walk(
      walkPages(fetcherFor(server.origin), { path: "/users", envelope: "users", pageSize: 10 }),
    );
    expect(result.ids).toEqual(ALL_23);
    expect(result.pages).toHaveLength(3);
    expect(result.warnings).toEqual(["the Link header is malformed; paging by offset"]);
  });

  scriptedTest(
    "resolves relative Link URLs (RFC 8288), so a silent cap behind them is still noticed",
    async ({ scripted }) => {
      const server = await scripted((req, res) => {
        const { offset, limit } = pageParams(req.url);
        // Serves 5 records a page while its links assume the limit asked for.
        const next =
          offset + limit < 23 ? `, </users?filter=x&limit=${limit}&offset=${offset + limit}>; rel="next"` : "";
        sendJson(
          res,
          200,
          { users: records(offset, limit, 5) },
          {
            "x-total-count": "23",
            link: `</users?filter=x&limit=${limit}&offset=0>; rel="first"${next}`,
          },
        );
      });
      const result = await walk(
        walkPages(fetcherFor(server.origin), {
          path: "/users",
          envelope: "users",
          pageSize: 10,
          query: { filter: "x" },
        }),
      );
      expect(result.ids).toEqual(ALL_23);
      expect(result.warnings).toEqual([
        "Link next points at offset 10 but 5 records came from offset 0; reading on from 5 so none is skipped",
      ]);
    },
  );

  scriptedTest("stops with BAD_RESPONSE when the provider ignores offset", async ({ scripted }) => {
    const server = await scripted((req, res) => {
      sendJson(res, 200, { users: records(0, pageParams(req.url).limit) });
    });
    const error = await walk(
      walkPages(fetcherFor(server.origin), { path: "/users", envelope: "users", pageSize: 10 }),
    ).catch((e: unknown) => e);
    expect((error as OneRosterClientError).code).toBe("BAD_RESPONSE");
    expect((error as Error).message).toMatch(/repeats the previous page/);
    expect(server.count("/users")).toBe(2);
  });

  scriptedTest("gives up after maxPages", async ({ scripted }) => {
    const server = await scripted((req, res) => {
      const { offset, limit } = pageParams(req.url);
      sendJson(res, 200, { users: records(offset, limit) }, { "x-total-count": "23" });
    });
    const error = await walk(
      walkPages(fetcherFor(server.origin), { path: "/users", envelope: "users", pageSize: 5, maxPages: 2 }),
    ).catch((e: unknown) => e);
    expect((error as OneRosterClientError).code).toBe("BAD_RESPONSE");
    expect(server.count("/users")).toBe(2);
  });
});
