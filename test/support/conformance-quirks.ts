// The conformance suite run against our own provider, shared by the provider tests: runAgainst (writes on, an
// expired token made by moving the provider's clock), listed, and the quirk-preset table with what each must fail.
// The quirk presets are judged in two files (provider-quirks-*.test.ts) so the slowest suite spreads over workers.
import { expect, test } from "vitest";
import type { ProfileChoice } from "../../conformance/check.js";
import { blockedIds, failedIds, type Report, runChecks } from "../../conformance/run.js";
import { ALL_SCOPES } from "../../oneroster/index.js";
import type { QuirkName } from "../../server/faults/presets.js";
import { describePrimaryDb } from "./each-db.js";
import { SEEDED_NOW, useSeededProvider } from "./seeded-provider.js";
import { startProvider, type TestProvider } from "./server.js";
import { createTickingClock } from "./ticking-clock.js";

const HOUR = 3600 * 1000;

/** Runs the suite with writes; the expired token is issued first and the provider's clock then moved past it. */
export async function runAgainst(
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
export function listed(
  report: Report,
  status: "fail" | "skip" | "blocked" | "error",
  level?: "MUST" | "SHOULD",
): string[] {
  return report.results
    .filter((r) => r.status === status && (!level || r.level === level))
    .map((r) => `${r.id}: ${r.message ?? ""}`);
}

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

/** Defines the quirk-preset tests of one part (of `parts`); part 0 also runs the suite in lenient mode. */
export function describeQuirkPresets(part: number, parts: number): void {
  const quirks = Object.entries(QUIRK_FINDINGS).filter((_, i) => i % parts === part);
  describePrimaryDb(`conformance suite against each quirk preset (part ${part + 1} of ${parts})`, (kind) => {
    const seeded = useSeededProvider(kind, { clock: createTickingClock(SEEDED_NOW) });

    if (part === 0) {
      test("passes every MUST check in lenient mode as well", async () => {
        const report = await runAgainst(seeded.provider, { lenient: true });
        expect(listed(report, "fail", "MUST")).toEqual([]);
        expect(listed(report, "error")).toEqual([]);
      }, 120_000);
    }

    test.each(quirks)(
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
}
