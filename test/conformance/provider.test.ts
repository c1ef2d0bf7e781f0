// The suite against our own provider on the tiny seeded district: every profile, with writes, passes every MUST
// on PGlite and on Postgres and leaves nothing behind; and each quirk preset makes exactly its checks fail.
import { expect, test } from "vitest";
import type { ProfileChoice } from "../../conformance/check.js";
import { failedIds, type Report, runChecks } from "../../conformance/run.js";
import type { QuirkName } from "../../server/faults/presets.js";
import { describeEachDb, describePrimaryDb } from "../support/each-db.js";
import { SEEDED_NOW, type SeededProvider, useSeededProvider } from "../support/seeded-provider.js";
import { createTestClock, startProvider, type TestProvider } from "../support/server.js";

const HOUR = 3600 * 1000;

/** Runs the suite with writes; the expired token is issued first and the provider's clock then moved past it. */
async function runAgainst(
  provider: TestProvider,
  options: { profile?: ProfileChoice; lenient?: boolean } = {},
): Promise<Report> {
  const expiredToken = await provider.token();
  provider.deps.clock.advance(provider.deps.config.tokenTtlSeconds * 1000 + HOUR);
  return runChecks({
    baseUrl: provider.baseUrl,
    tokenUrl: provider.tokenUrl,
    clientId: provider.clientId,
    clientSecret: provider.clientSecret,
    allowWrites: true,
    expiredToken,
    profile: options.profile ?? "all",
    lenient: options.lenient ?? false,
  });
}

/** `id: message` for each result with the status at the level, so a failing assertion shows why. */
function listed(report: Report, status: "fail" | "skip" | "error", level?: "MUST" | "SHOULD"): string[] {
  return report.results
    .filter((r) => r.status === status && (!level || r.level === level))
    .map((r) => `${r.id}: ${r.message ?? ""}`);
}

/** What the suite wrote and might have left visible: gradebook objects whose sourcedId carries the run id. */
async function leftovers(seeded: SeededProvider, runId: string): Promise<unknown[]> {
  const out: unknown[] = [];
  const token = await seeded.provider.token(); // the fixture's own token expired when the suite moved the clock
  for (const [path, key] of [
    ["/categories", "categories"],
    ["/lineItems", "lineItems"],
    ["/results", "results"],
  ] as const) {
    const res = await seeded.api(`${path}?filter=${encodeURIComponent(`sourcedId~'${runId}'`)}`, { token });
    expect(res.status).toBe(200);
    out.push(...res.body[key]);
  }
  return out;
}

describeEachDb("conformance suite against our provider", (kind) => {
  const seeded = useSeededProvider(kind);

  test("passes every MUST check of every profile with writes in strict mode, runs them all, and leaves nothing behind", async () => {
    const report = await runAgainst(seeded.provider);
    expect(listed(report, "fail", "MUST")).toEqual([]);
    expect(listed(report, "error")).toEqual([]);
    expect(listed(report, "skip", "MUST")).toEqual([]);
    expect(report.cleanupFailures).toEqual([]);
    expect(await leftovers(seeded, report.runId)).toEqual([]);
  }, 120_000);

  test.each(["rostering-core", "rostering", "resources", "gradebook"] as const)(
    "passes every MUST check of the %s profile on its own scopes",
    async (profile) => {
      const report = await runAgainst(seeded.provider, { profile });
      expect(listed(report, "fail", "MUST")).toEqual([]);
      expect(listed(report, "error")).toEqual([]);
    },
    120_000,
  );
});

/** The checks each quirk preset must make fail, and only those (server/faults/presets.ts). */
const QUIRK_FINDINGS: Record<QuirkName, string[]> = {
  "no-total-count": ["PAG-003", "PAG-005"],
  "link-drops-filter": ["PAG-008"],
  "page-local-sort": ["SRT-001", "SRT-002"],
  "ignore-unknown-filter-field": ["FLT-010", "FLT-011"],
  "silent-limit-cap": ["PAG-001", "PAG-002", "PAG-007", "PAG-008", "SRT-001", "SRT-002"],
  "put-create-200": ["GBW-001"],
  "delete-200-listed": ["DLT-002", "GBW-009", "GBW-010", "GBW-011"],
  "accept-expired-tokens": ["AUTH-006"],
  "no-tombstones": ["DLT-002"],
  "unknown-field-400": ["SRT-003", "SRT-004", "FLD-003", "FLD-004"],
  "wrong-envelope": [
    "END-003",
    "END-004",
    "END-005",
    "END-006",
    "PAG-001",
    "PAG-002",
    "PAG-004",
    "PAG-005",
    "PAG-006",
    "PAG-007",
    "PAG-008",
    "PAG-009",
    "PAG-010",
    "PAG-011",
    "SRT-001",
    "SRT-002",
    "SRT-003",
    "FLT-001",
    "FLT-002",
    "FLT-003",
    "FLT-004",
    "FLT-005",
    "FLT-006",
    "FLT-007",
    "FLT-008",
    "FLT-009",
    "FLD-001",
    "FLD-002",
    "FLD-003",
    "DLT-003",
  ],
};

describePrimaryDb("conformance suite against each quirk preset", (kind) => {
  const seeded = useSeededProvider(kind);

  test("passes every MUST check in lenient mode as well", async () => {
    const report = await runAgainst(seeded.provider, { lenient: true });
    expect(listed(report, "fail", "MUST")).toEqual([]);
    expect(listed(report, "error")).toEqual([]);
  }, 120_000);

  test.each(Object.entries(QUIRK_FINDINGS))(
    "with the %s quirk on, exactly its checks fail",
    async (quirk, expected) => {
      const provider = await startProvider(seeded.db.handle, {
        quirks: [quirk as QuirkName],
        clock: createTestClock(SEEDED_NOW),
      });
      try {
        const report = await runAgainst(provider);
        expect(listed(report, "error")).toEqual([]);
        expect(failedIds(report)).toEqual(expected);
        expect(report.cleanupFailures).toEqual([]);
      } finally {
        await provider.close();
      }
    },
    120_000,
  );
});
