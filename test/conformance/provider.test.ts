// The suite against our own provider on the tiny seeded district: every profile, with writes, passes every MUST
// on PGlite and on Postgres, exercises all 62 operations and leaves nothing behind. (Each quirk preset making exactly
// its checks fail is in provider-quirks-*.test.ts.) The provider's clock ticks 1 ms per read, so an update is stamped
// later than its create (DLT-004).
import { expect, test } from "vitest";
import { listed, runAgainst } from "../support/conformance-quirks.js";
import { describeEachDb } from "../support/each-db.js";
import { SEEDED_NOW, type SeededProvider, useSeededProvider } from "../support/seeded-provider.js";
import { createTickingClock } from "../support/ticking-clock.js";

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
