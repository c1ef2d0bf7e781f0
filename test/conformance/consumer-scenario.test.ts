// Issue 11 item 6, the reference: rosterlab's own consumer, run by `rosterlab conformance consumer --sync-command`
// through the whole scripted scenario (full sync, a day, faults mid-run, the day after, a mass withdrawal) against
// a provider the command starts, passes every MUST verdict, the roster compared with the provider after each step.
import { describe, expect, it } from "vitest";
import { ROSTERLAB, runScenarioCli } from "../support/scenario-cli.js";

const rosterlab = `"${process.execPath}" "${ROSTERLAB}"`;

describe("rosterlab conformance consumer --sync-command, with rosterlab's own consumer", () => {
  it("passes every scenario verdict and the scorecard, holding the mass withdrawal whole", {
    timeout: 900_000,
  }, async () => {
    const run = await runScenarioCli([
      "--sync-command",
      `${rosterlab} sync run --json`,
      "--export-command",
      `${rosterlab} sync export`,
      "--days",
      "1",
    ]);
    const failed = run.report.card.verdicts.filter((v) => v.outcome === "fail");
    expect(failed.map((v) => `${v.id}: ${v.summary} ${JSON.stringify(v.evidence.slice(0, 4))}`)).toEqual([]);
    expect(run.exitCode, run.stderr).toBe(0);
    for (const id of [
      "SCN-001",
      "SCN-002",
      "SCN-003",
      "SCN-004",
      "CON-001",
      "CON-002",
      "CON-003",
      "CON-004",
      "CON-006",
    ]) {
      expect(run.outcome(id), id).toBe("pass");
    }
    expect(run.report.steps.map((s) => s.kind)).toEqual(["full", "day", "fault", "recovery", "withdrawal"]);
    expect(run.report.steps.every((s) => !s.exportError)).toBe(true);
    // The faults really fired mid-run (a 429 and a refused token were answered), and the safety filter held the
    // withdrawal (exit 3) rather than the consumer applying it.
    expect(run.report.steps.find((s) => s.kind === "withdrawal")?.exitCode).toBe(3);
    expect(run.stdout).toContain("SCN-004");
  });
});
