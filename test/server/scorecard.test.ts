// The consumer scorecard over real HTTP: a careful consumer (the shared client kit, walking every collection, then
// deltas after the district moves, through faults switched on for it) passes every verdict; a careless one, written
// here the way real careless clients are, fails each verdict it deserves, with the requests that show it.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { beforeAll, describe, expect, it } from "vitest";
import { registerConformanceCommand } from "../../conformance/cli.js";
import { registerConsumerCommand } from "../../conformance/consumer/cli.js";
import { OneRosterClient } from "../../oneroster/client/index.js";
import { judgeConsumer } from "../../server/scorecard/judge.js";
import { describePrimaryDb } from "../support/each-db.js";
import { logEntry } from "../support/log-rows.js";
import { useSeededProvider } from "../support/seeded-provider.js";
import type { TestClock } from "../support/server.js";

const ADMIN = "admin-credential-for-tests-0123";
const COLLECTIONS = ["academicSessions", "orgs", "courses", "classes", "users", "enrollments"] as const;

/** The provider's clock runs in real time here: waiting after a 429 and concurrency are judged from it. */
const realClock: TestClock = { now: () => new Date(), set: () => {}, advance: () => {} };

interface VerdictJson {
  id: string;
  outcome: "pass" | "fail" | "not-applicable";
  summary: string;
  evidence: { path: string; query: string | null; status: number; note?: string }[];
}

describePrimaryDb("consumer scorecard", (kind) => {
  const sp = useSeededProvider(kind, { config: { adminToken: ADMIN }, clock: realClock, withDistrictClock: true });
  const admin = (path: string, init: { method?: string; body?: unknown } = {}) =>
    sp.api(`${sp.provider.origin}${path}`, { ...init, token: ADMIN });
  const scorecard = async (clientId: string): Promise<Record<string, VerdictJson>> => {
    const res = await admin(`/admin/clients/${clientId}/scorecard`);
    expect(res.status, res.text).toBe(200);
    return Object.fromEntries((res.body.verdicts as VerdictJson[]).map((v) => [v.id, v]));
  };
  const register = async (clientId: string, faults: string[], tokenLeniency = "strict") => {
    const res = await admin("/admin/clients", {
      method: "POST",
      body: { clientId, name: clientId, faults, tokenLeniency },
    });
    expect(res.status, res.text).toBe(201);
    return res.body.clientSecret as string;
  };

  describe("a careful consumer", () => {
    let card: Record<string, VerdictJson>;
    beforeAll(async () => {
      const secret = await register("careful-lms", [
        "rate-limit:every=9,burst=1,retryAfter=1",
        "server-errors:every=13,burst=1",
        "token-expiry:uses=20",
      ]);
      const client = new OneRosterClient({
        baseUrl: sp.provider.baseUrl,
        tokenUrl: sp.provider.tokenUrl,
        clientId: "careful-lms",
        clientSecret: secret,
        minRetryDelayMs: 300,
        maxRetryDelayMs: 600,
        concurrency: 4,
      });
      const walk = async (path: string, filter?: string) => {
        for await (const _ of client.pages({
          path: `/${path}`,
          envelope: path,
          pageSize: 100,
          ...(filter ? { query: { filter } } : {}),
        })) {
          // the records would be applied to the LMS here
        }
      };
      const fullRunStart = new Date().toISOString();
      for (const path of COLLECTIONS) {
        await walk(path);
      }
      const advanced = await admin("/admin/clock/advance", { method: "POST", body: { days: 5 } });
      expect(advanced.status, advanced.text).toBe(200);
      for (const path of COLLECTIONS) {
        await walk(path, `dateLastModified>'${fullRunStart}'`);
      }
      const classId = ((await client.getOk("/classes", { limit: 1 })).json as { classes: { sourcedId: string }[] })
        .classes[0]?.sourcedId;
      const put = await client.request("PUT", "/lineItems/careful-li", {
        body: {
          lineItem: {
            title: "Essay",
            assignDate: "2026-09-01",
            dueDate: "2026-09-08",
            class: { sourcedId: classId },
            resultValueMin: 0,
            resultValueMax: 10,
          },
        },
      });
      expect(put.status).toBe(201);
      card = await scorecard("careful-lms");
    }, 120_000);

    it("passes every verdict that applies, through the faults switched on for it", () => {
      const failed = Object.values(card).filter((v) => v.outcome === "fail");
      expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
      for (const id of ["CON-001", "CON-002", "CON-003", "CON-004", "CON-005", "CON-007", "CON-008"]) {
        expect(card[id]?.outcome, `${id}: ${card[id]?.summary}`).toBe("pass");
      }
      // Five school days always withdraw someone in the tiny district; the deltas carried the tombstones.
      expect(card["CON-006"]?.outcome, card["CON-006"]?.summary).toBe("pass");
    });
  });

  describe("a careless consumer", () => {
    let card: Record<string, VerdictJson>;
    beforeAll(async () => {
      await register("careless-lms", ["rate-limit:every=3,burst=1,retryAfter=2", "token-expiry:uses=6"], "lenient");
      const secret = (await admin("/admin/clients/careless-lms/rotate", { method: "POST" })).body.clientSecret;
      // A JSON token request, the way some vendor clients send it.
      const tokenRes = await fetch(sp.provider.tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ grant_type: "client_credentials", client_id: "careless-lms", client_secret: secret }),
      });
      const { access_token: token } = (await tokenRes.json()) as { access_token: string };
      const get = (path: string) =>
        fetch(`${sp.provider.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
      // Pages of 5, and stops at the second page: "it looked like enough".
      await get("/users?limit=5");
      await get("/users?limit=5&offset=5");
      // Twenty requests at once.
      await Promise.all(Array.from({ length: 20 }, () => get("/orgs?limit=1").then((r) => r.arrayBuffer())));
      // A "delta" that hides deletions, then everything again from scratch.
      await get(
        `/enrollments?filter=${encodeURIComponent("dateLastModified>'2026-09-01T00:00:00Z' AND status='active'")}`,
      );
      await get("/orgs");
      // The operator switches its faults off; it gets a new token, and pushes a line item without a title.
      await admin("/admin/clients/careless-lms/faults", { method: "PUT", body: { faults: [] } });
      const again = await fetch(sp.provider.tokenUrl, {
        method: "POST",
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: "careless-lms",
          client_secret: secret,
        }),
      });
      const { access_token: fresh } = (await again.json()) as { access_token: string };
      await fetch(`${sp.provider.baseUrl}/lineItems/careless-li`, {
        method: "PUT",
        headers: { authorization: `Bearer ${fresh}`, "content-type": "application/json" },
        body: JSON.stringify({ lineItem: { class: { sourcedId: "x" } } }),
      });
      card = await scorecard("careless-lms");
    }, 120_000);

    it("fails paging to the end, with the walk that stopped as evidence", () => {
      expect(card["CON-001"]?.outcome).toBe("fail");
      expect(
        card["CON-001"]?.evidence.some((e) => e.path.endsWith("/users") && /read records 0–10 of/.test(e.note ?? "")),
      ).toBe(true);
    });

    it("fails waiting after a 429 and renewing its token", () => {
      expect(card["CON-003"]?.outcome, card["CON-003"]?.summary).toBe("fail");
      expect(card["CON-003"]?.evidence[0]?.status).toBe(429);
      expect(card["CON-004"]?.outcome, card["CON-004"]?.summary).toBe("fail");
      expect(card["CON-004"]?.evidence.every((e) => e.status === 401)).toBe(true);
    });

    it("fails page sizes and concurrency, tombstones, gradebook writes and token requests", () => {
      expect(card["CON-005"]?.outcome, JSON.stringify(card["CON-005"])).toBe("fail");
      expect(card["CON-006"]?.outcome).toBe("fail");
      expect(card["CON-006"]?.evidence[0]?.query).toMatch(/status/);
      expect(card["CON-007"]?.outcome).toBe("fail");
      expect(card["CON-007"]?.evidence[0]?.status).toBe(400);
      expect(card["CON-008"]?.outcome).toBe("fail");
      expect(card["CON-008"]?.evidence[0]?.note).toBe("token:json-body");
    });
  });

  it("rosterlab conformance consumer prints the scorecard, writes JSON and JUnit, and exits 1 on a MUST failure", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rl-consumer-cli-"));
    const run = async (args: string[]) => {
      let out = "";
      let err = "";
      const program = new Command("rosterlab").exitOverride();
      const conformance = registerConformanceCommand(program);
      registerConsumerCommand(conformance, {
        out: { write: (t: string) => (out += t) },
        err: { write: (t: string) => (err += t) },
        env: { url: sp.provider.origin, adminToken: ADMIN },
      });
      const before = process.exitCode;
      process.exitCode = 0;
      try {
        await program.parseAsync(args, { from: "user" });
        return { out, err, exitCode: Number(process.exitCode ?? 0) };
      } finally {
        process.exitCode = before;
      }
    };
    try {
      const careless = await run([
        "conformance",
        "consumer",
        "--client",
        "careless-lms",
        "--json",
        join(dir, "card.json"),
        "--junit",
        join(dir, "card.xml"),
      ]);
      expect(careless.exitCode, careless.err).toBe(1);
      expect(careless.out).toMatch(/✗ CON-001 MUST page every collection/);
      expect(careless.out).toMatch(/FAIL: \d+ MUST verdict\(s\) failed/);
      const json = JSON.parse(await readFile(join(dir, "card.json"), "utf8"));
      expect(json.clientId).toBe("careless-lms");
      const xml = await readFile(join(dir, "card.xml"), "utf8");
      expect(xml).toMatch(/<testcase[^>]*name="CON-001 MUST/);
      expect(xml).toContain("<failure");
      const careful = await run(["conformance", "consumer", "--client", "careful-lms"]);
      expect(careful.exitCode, careful.out).toBe(0);
      expect(careful.out).toMatch(/PASS/);
      const missing = await run(["conformance", "consumer", "--client", "nobody"]);
      expect(missing.exitCode).toBe(2);
      expect(missing.err).toMatch(/404/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("answers 404 for a client without requests and 400 for a bad window", async () => {
    expect((await admin("/admin/clients/nobody/scorecard")).status).toBe(404);
    expect((await admin("/admin/clients/careful-lms/scorecard?since=monday")).status).toBe(400);
  });
});

describe("judgeConsumer on hand-made rows", () => {
  const at = (s: number) => new Date(Date.UTC(2026, 8, 1, 0, 0, s));
  let id = 0;
  const row = (over: Partial<Parameters<typeof judgeConsumer>[2][number]>) => {
    id += 1;
    return { id, ...logEntry(at(id), `r${id}`), ...over };
  };
  const opts = { limitCap: 10_000, countDeletions: async () => 0 };

  it("re-reading a collection in full after a complete walk fails CON-002; a delta after it passes", async () => {
    const full = [row({ query: "limit=100", total: 50 }), row({ query: "limit=100", total: 50 })];
    const card = await judgeConsumer("c", {}, full, opts);
    expect(card.verdicts.find((v) => v.id === "CON-002")?.outcome).toBe("fail");
    const delta = [
      row({ query: "limit=100", total: 50 }),
      row({ query: `filter=${encodeURIComponent("dateLastModified>'2026-09-01T00:00:00Z'")}`, total: 3 }),
    ];
    const ok = await judgeConsumer("c", {}, delta, opts);
    expect(ok.verdicts.find((v) => v.id === "CON-002")?.outcome).toBe("pass");
  });

  it("a walk whose pages were capped by the provider is judged by what it was sent", async () => {
    const capped = [row({ query: "limit=5000", total: 3000 }), row({ query: "limit=5000&offset=1000", total: 3000 })];
    const card = await judgeConsumer("c", {}, capped, { ...opts, limitCap: 1000 });
    expect(card.verdicts.find((v) => v.id === "CON-001")?.outcome).toBe("fail");
  });
});
