// The demo's story end to end (bin/demo-flow.ts) on the tiny district, on PGlite and on Postgres: full sync, teachers
// grading, an on-demand export, school days of churn with delta syncs and nightly exports, a mass-withdrawal day held
// by the safety filter and approved, and the SIS holding exactly what the LMS's export state says it sent.
import { and, eq, isNotNull } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type DemoEvent, type DemoReport, runDemoFlow } from "../../bin/demo-flow.js";
import { resolveSettings } from "../../consumer/config.js";
import type { LmsStore } from "../../consumer/store/open.js";
import { gradeExports, users } from "../../consumer/store/schema.js";
import { describeEachDb } from "../support/each-db.js";
import { useSeededProvider } from "../support/seeded-provider.js";
import { createTickingClock, openTestLmsStore } from "../support/synced-lms.js";

const ADMIN = "admin-token-for-the-demo-test-0123";

describeEachDb("the demo's story", (kind) => {
  const clock = createTickingClock();
  const sp = useSeededProvider(kind, { clock, config: { adminToken: ADMIN }, withDistrictClock: true });
  let store: LmsStore;
  let report: DemoReport;
  const events: DemoEvent[] = [];

  beforeAll(async () => {
    store = await openTestLmsStore(kind, sp.db.url);
    const p = sp.provider;
    report = await runDemoFlow({
      provider: {
        baseUrl: p.baseUrl,
        tokenUrl: p.tokenUrl,
        clientId: p.clientId,
        clientSecret: p.clientSecret,
        origin: p.origin,
        adminToken: ADMIN,
      },
      store,
      settings: resolveSettings({ profile: "brightspace" }),
      seed: 1,
      days: 3,
      courses: 6,
      now: clock.now,
      client: { minRetryDelayMs: 1, maxRetryDelayMs: 5 },
      onEvent: (e) => events.push(e),
    });
  }, 240_000);
  afterAll(async () => {
    await store?.close();
  });

  it("syncs the district in full, then in deltas, one school day at a time", () => {
    expect(report.district.schools.length).toBeGreaterThan(0);
    const [first, ...rest] = report.syncs;
    expect(first).toMatchObject({ mode: "full", status: expect.stringMatching(/^completed/) });
    expect(first?.changes).toBeGreaterThan(0);
    expect(rest.map((s) => s.mode)).toEqual(["delta", "delta", "delta", "delta"]);
    expect(report.days).toHaveLength(4);
  });

  it("holds the mass-withdrawal day's batch for the persons delete threshold, then applies it on approval", async () => {
    const last = report.syncs.at(-1);
    expect(report.massWithdrawal?.students).toBeGreaterThan(0);
    expect(last?.holdReasons.join(" ")).toMatch(/^persons delete .*> 10%/);
    expect(last).toMatchObject({ status: expect.stringMatching(/^completed/), approvedBy: "district admin" });
    expect(events.some((e) => e.type === "approved")).toBe(true);
    const trashed = await store.db.select({ id: users.id }).from(users).where(isNotNull(users.trashedAt));
    expect(trashed.length).toBeGreaterThanOrEqual(report.massWithdrawal?.students ?? 1);
  });

  it("exports the teachers' grades on demand and nightly, re-sends changes, sends deletions, and fails nothing", async () => {
    const g = report.grades;
    expect(g.lineItemsSent).toBeGreaterThan(0);
    expect(g.resultsSent).toBeGreaterThan(0);
    expect(g.deletionsSent).toBeGreaterThan(0);
    expect(g.failures).toBe(0);
    const onDemand = await store.db.select().from(gradeExports).where(eq(gradeExports.trigger, "on_demand"));
    expect(onDemand).toHaveLength(1);
    expect(onDemand[0]?.startedBy).not.toBe("IPSIS Service");
    const nightly = await store.db
      .select()
      .from(gradeExports)
      .where(and(eq(gradeExports.trigger, "scheduled"), eq(gradeExports.startedBy, "IPSIS Service")));
    expect(nightly.length).toBeGreaterThan(0);
  });

  it("leaves the SIS holding exactly what the LMS's export state records", () => {
    expect(report.grades.atSis.lineItems).toBeGreaterThan(0);
    expect(report.grades.atSis).toEqual(report.grades.expected);
  });
});
