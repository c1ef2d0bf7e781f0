// `rosterlab sync --grades` and `rosterlab grades …` as a user runs them: the real CLI in a child process against a
// provider served by this test, the LMS store in a temporary directory: JSON output, exit codes, the history and a
// refusal. Each child compiles the CLI, so the spawns are few; the engine's rules are tested in process.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describePrimaryDb } from "../support/each-db.js";
import { runCli } from "../support/run-cli.js";
import { useSeededProvider } from "../support/seeded-provider.js";

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  // The connection and the store travel as flags, so the child needs nothing from this process's environment.
  const run = await runCli(args);
  return { code: run.code, out: run.stdout, err: run.stderr };
}

describePrimaryDb("the grades commands", (kind) => {
  const sp = useSeededProvider(kind);
  let dir: string;
  let conn: string[];
  let store: string[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "rosterlab-grades-cli-"));
    const p = sp.provider;
    store = ["--lms-url", join(dir, "lms")];
    conn = [
      "--base-url",
      p.baseUrl,
      "--token-url",
      p.tokenUrl,
      "--client-id",
      p.clientId,
      "--client-secret",
      p.clientSecret,
      ...store,
    ];
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("syncs with --grades, grades by simulated teachers, previews and exports a course on demand, lists the history", {
    timeout: 180_000,
  }, async () => {
    const sync = await cli(["sync", "run", "--grades", "--json", ...conn]);
    expect(sync.code, sync.err).toBe(0);
    const synced = JSON.parse(sync.out);
    expect(synced.grades).toMatchObject({ startedBy: "IPSIS Service", courses: [] });
    expect(synced.grades.categories.listed).toBeGreaterThan(0);

    const sim = await cli(["grades", "simulate", "--courses", "2", "--json", ...store]);
    expect(sim.code, sim.err).toBe(0);
    const course = JSON.parse(sim.out).courses[0] as string;

    const dry = await cli(["grades", "export", "--course", course, "--dry-run", "--json", ...conn]);
    expect(dry.code, dry.err).toBe(0);
    const preview = JSON.parse(dry.out);
    expect(preview.status).toBe("dry_run");
    expect(preview.overview.toSend.lineItems).toBeGreaterThan(0);

    const run = await cli(["grades", "export", "--course", course, "--by", "ms.rivera", "--json", ...conn]);
    expect(run.code, run.err).toBe(0);
    const done = JSON.parse(run.out);
    expect(done.status).toBe("completed");
    expect(done.counts.lineItems.success).toBe(preview.overview.toSend.lineItems);

    const history = await cli(["grades", "history", "--json", ...store]);
    expect(JSON.parse(history.out)).toEqual([
      expect.objectContaining({ id: done.exportId, trigger: "on_demand", startedBy: "ms.rivera", status: "completed" }),
    ]);
  });

  it("refuses an unknown course with a message and exit status 2", async () => {
    const unknown = await cli(["grades", "export", "--course", "no-such-course", ...conn]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/no offering with the sourcedId, code or id 'no-such-course'/);
  });
});
