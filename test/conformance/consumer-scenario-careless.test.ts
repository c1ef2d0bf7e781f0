// Issue 11 item 6, the other side: deliberately careless consumers (test/fixtures/careless-consumer.ts), run through
// the same scripted scenario, fail exactly the verdicts their mistakes deserve, and the command exits 1 for them.
import { describe, expect, it } from "vitest";
import { careless, runScenarioCli } from "../support/scenario-cli.js";

const scenario = (mode: string) =>
  runScenarioCli([
    "--sync-command",
    careless("sync", mode),
    "--export-command",
    careless("export", mode),
    "--days",
    "1",
  ]);

describe("rosterlab conformance consumer --sync-command, with careless consumers", () => {
  it("fails a consumer that reads only the first page of each collection", { timeout: 600_000 }, async () => {
    const run = await scenario("first-page");
    expect(run.exitCode, run.stderr).toBe(1);
    expect(run.outcome("SCN-001")).toBe("fail");
    expect(run.outcome("CON-001")).toBe("fail");
    expect(run.outcome("CON-002")).toBe("fail");
  });

  it("fails a consumer that gives up on the first 429 or 503, but not for half-applying", {
    timeout: 600_000,
  }, async () => {
    const run = await scenario("no-retry");
    expect(run.exitCode, run.stderr).toBe(1);
    expect(run.report.steps.find((s) => s.kind === "fault")?.exitCode).toBe(1);
    expect(run.outcome("SCN-001")).toBe("pass");
    expect(run.outcome("SCN-003")).toBe("fail");
    // It saves nothing when it gives up: the failed run left its roster as it was.
    expect(run.outcome("SCN-005")).toBe("pass");
    expect(run.outcome("CON-002")).toBe("fail");
  });

  it("fails a consumer that reads deltas without tombstones and writes each page as it arrives", {
    timeout: 600_000,
  }, async () => {
    const run = await scenario("piecemeal");
    expect(run.exitCode, run.stderr).toBe(1);
    expect(run.outcome("SCN-001")).toBe("pass");
    // The withdrawn students stay active in its roster: it never sees their tombstones.
    expect(run.outcome("SCN-004")).toBe("fail");
    expect(run.outcome("CON-006")).toBe("fail");
    expect(run.outcome("SCN-003")).toBe("fail");
  });
});

describe("rosterlab conformance consumer --sync-command, refusals", () => {
  it("exits 2 before any step when a fault preset is wrong, naming it", { timeout: 300_000 }, async () => {
    const run = await runScenarioCli(["--sync-command", "true", "--fault", "rate-limit:every=zero"]).catch(
      (error: Error) => ({ failure: error.message }),
    );
    expect("failure" in run ? run.failure : "a report").toMatch(/exit 2\)[\s\S]*--fault: .*rate-limit/);
  });
});
