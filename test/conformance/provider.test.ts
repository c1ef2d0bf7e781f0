// The suite against our own provider on the tiny seeded district: every profile, with writes, passes every MUST
// on PGlite and on Postgres, exercises all 62 operations and leaves nothing behind; each quirk preset makes exactly
// its checks fail (and blocks exactly the checks that build on them), and the one legitimate variant makes none fail.
// The provider's clock ticks 1 ms per read, so an update is stamped later than its create (DLT-004).
import { expect, test } from "vitest";
import type { ProfileChoice } from "../../conformance/check.js";
import { blockedIds, failedIds, type Report, runChecks } from "../../conformance/run.js";
import { ALL_SCOPES } from "../../oneroster/index.js";
import type { QuirkName } from "../../server/faults/presets.js";
import { describeEachDb, describePrimaryDb } from "../support/each-db.js";
import { SEEDED_NOW, type SeededProvider, useSeededProvider } from "../support/seeded-provider.js";
import { startProvider, type TestProvider } from "../support/server.js";
import { createTickingClock } from "../support/ticking-clock.js";

const HOUR = 3600 * 1000;

/** Runs the suite with writes; the expired token is issued first and the provider's clock then moved past it. */
async function runAgainst(
  provider: TestProvider,
  options: { profile?: ProfileChoice; lenient?: boolean } = {},
): Promise<Report> {
  // Scopes named: some quirk presets refuse a token request without them (as some providers do).
  const expiredToken = await provider.token(ALL_SCOPES);
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
function listed(report: Report, status: "fail" | "skip" | "blocked" | "error", level?: "MUST" | "SHOULD"): string[] {
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
  const seeded = useSeededProvider(kind, { clock: createTickingClock(SEEDED_NOW) });

  test("passes every MUST check of every profile with writes in strict mode, runs them all in full, exercises all 62 operations and leaves nothing behind", async () => {
    const report = await runAgainst(seeded.provider);
    expect(listed(report, "fail", "MUST")).toEqual([]);
    expect(listed(report, "error")).toEqual([]);
    expect(listed(report, "skip", "MUST")).toEqual([]);
    expect(listed(report, "blocked")).toEqual([]);
    expect(report.results.filter((r) => r.partial).map((r) => `${r.id}: ${r.partial?.join("; ")}`)).toEqual([]);
    expect(report.coverage).toMatchObject({ total: 62, selected: 62, missed: [] });
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
  "dlm-string-compare": ["FLT-013"],
  "terms-need-roster-scope": ["AUTH-015"],
  "put-update-noop": ["DLT-004", "GBW-005"],
  "put-merge": ["GBW-005"],
  "put-renames": ["GBW-014"],
  "put-invalid-500": ["GBW-015"],
  "put-keeps-dlm": ["DLT-004"],
  "put-cannot-create": ["GBW-001"],
  "delete-keeps-results": ["GBW-016"],
  "bearer-challenge-on-basic": ["AUTH-017"],
  "token-error-codes": ["AUTH-011", "AUTH-016"],
  "hide-schools": ["END-008"],
  "scope-required": [],
  "no-total-count": ["PAG-003", "PAG-005"],
  "link-drops-filter": ["PAG-008"],
  "page-local-sort": ["SRT-001", "SRT-002"],
  "ignore-unknown-filter-field": ["FLT-010", "FLT-011"],
  "silent-limit-cap": ["PAG-001", "PAG-002", "PAG-007", "PAG-008", "SRT-001", "SRT-002"],
  "put-create-200": ["GBW-001"],
  "delete-200-listed": ["DLT-002", "GBW-009", "GBW-010", "GBW-011", "GBW-016"],
  "accept-expired-tokens": ["AUTH-006"],
  "no-tombstones": ["DLT-002"],
  "unknown-field-400": ["SRT-003", "SRT-004", "FLD-003", "FLD-004"],
  "wrong-envelope": ["END-003"],
};

/** The checks each quirk preset blocks (`ID<BLOCKER`): only a broken prerequisite blocks, and only its dependants. */
const QUIRK_BLOCKS: Partial<Record<QuirkName, string[]>> = {
  "put-cannot-create": [
    "DLT-001<GBW-001",
    "DLT-002<GBW-001",
    "DLT-004<GBW-001",
    "GBW-002<GBW-001",
    "GBW-003<GBW-001",
    "GBW-004<GBW-001",
    "GBW-005<GBW-001",
    "GBW-006<GBW-001",
    "GBW-009<GBW-001",
    "GBW-010<GBW-001",
    "GBW-011<GBW-001",
    "GBW-014<GBW-001",
    "GBW-015<GBW-001",
    "GBW-016<GBW-001",
  ],
};

describePrimaryDb("conformance suite against each quirk preset", (kind) => {
  const seeded = useSeededProvider(kind, { clock: createTickingClock(SEEDED_NOW) });

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
        clock: createTickingClock(SEEDED_NOW),
      });
      try {
        const report = await runAgainst(provider);
        expect(listed(report, "error")).toEqual([]);
        expect(failedIds(report), listed(report, "fail").join("\n")).toEqual(expected);
        expect(blockedIds(report)).toEqual(QUIRK_BLOCKS[quirk as QuirkName] ?? []);
        expect(report.cleanupFailures).toEqual([]);
      } finally {
        await provider.close();
      }
    },
    120_000,
  );
});
