// The CLI as a user meets it when something is wrong (issue 8, item 6): each failure is one line on stderr that
// says what to do, never a stack trace, with exit code 2 for bad input and 1 otherwise; `serve` checks its port
// before it seeds a district.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childProcessEnv, testEnv } from "../setup/env.js";
import { describeWithPostgres } from "../support/each-db.js";
import { type CliRun, runCli as runRosterlab } from "../support/run-cli.js";

/** Runs the real CLI in a child process with only the given environment on top of PATH. */
function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runRosterlab(args, { env: { ...childProcessEnv(), NO_COLOR: "1", ...env } });
}

/** Exactly one line, `error …`, matching `message`, and nothing that looks like a stack frame. */
function expectOneLine(run: CliRun, code: number, message: RegExp): void {
  const lines = run.stderr.trim().split("\n");
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error /);
  expect(lines[0]).toMatch(message);
  expect(run.stderr).not.toMatch(/^\s+at |Error:|node:internal/m);
  expect(run.code).toBe(code);
}

// Each case starts the real CLI (a few seconds of start-up each): generous timeouts on a shared machine.
describe("CLI failures are one line that says what to do", { timeout: 120_000 }, () => {
  let dir: string;
  let busy: Server;
  let busyPort: number;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "rl-cli-errors-"));
    await writeFile(join(dir, "a-file"), "not a directory");
    await writeFile(join(dir, "stray.txt"), "not a PGlite database");
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    busyPort = (busy.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => busy.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it("serve --seed -1: names the flag and its bound (exit 2)", async () => {
    expectOneLine(await runCli(["serve", "--seed", "-1"]), 2, /invalid --seed: too small: expected number to be >=0/);
  });

  it("a port already in use is found before a district is seeded (exit 1)", async () => {
    const run = await runCli(["serve", "--port", String(busyPort), "--size", "tiny"]);
    expectOneLine(run, 1, new RegExp(`port ${busyPort} on 127.0.0.1 is already in use: .*--port or PORT`));
    expect(run.stderr).not.toMatch(/seeded|seed: /);
  });

  it("an unreachable database says to start it or fix the URL (exit 1)", async () => {
    expectOneLine(
      await runCli(["serve", "--port", "0"], { DATABASE_URL: "postgres://127.0.0.1:1/rosterlab" }),
      1,
      /cannot connect to postgres:\/\/127\.0\.0\.1:1\/rosterlab: nothing listens there\. Start PostgreSQL or fix/,
    );
  });

  it.each([
    ["a malformed postgres URL", "postgres://127.0.0.1:99999/x", /DATABASE_URL: is not a valid postgres:\/\/ URL; use/],
    ["malformed percent-encoding", "postgres://%zz@127.0.0.1/x", /DATABASE_URL: is not a valid postgres:\/\/ URL/],
    [
      "a mysql:// URL (once taken for a directory)",
      "mysql://root@127.0.0.1/x",
      /scheme mysql:\/\/ is not supported; use postgres/,
    ],
  ])("%s is refused before anything starts (exit 2)", async (_, url, message) => {
    expectOneLine(await runCli(["serve", "--port", "0"], { DATABASE_URL: url }), 2, message);
  });

  it.each([
    ["a file", "a-file", /is a file, not a directory: give a directory path/],
    ["a path under a file", "a-file/data", /cannot be created \(ENOTDIR\): choose a path/],
    ["a directory that is not a PGlite database", ".", /is not empty and holds no PGlite database/],
  ])("a PGlite directory that is %s says what to give instead (exit 1)", async (_, path, message) => {
    expectOneLine(await runCli(["serve", "--port", "0"], { DATABASE_URL: join(dir, path) }), 1, message);
  });

  it("seed, advance and migrate give the same one line for a database they cannot use", async () => {
    for (const args of [["seed", "--size", "tiny"], ["advance", "--days", "1"], ["migrate"]]) {
      expectOneLine(await runCli(args, { DATABASE_URL: "mysql://x@y/z" }), 2, /scheme mysql:\/\/ is not supported/);
      expectOneLine(
        await runCli(args, { DATABASE_URL: "postgres://127.0.0.1:1/rosterlab" }),
        1,
        /cannot connect to postgres:\/\/127\.0\.0\.1:1\/rosterlab: nothing listens there/,
      );
    }
  });
});

describeWithPostgres("CLI failures on a Postgres server", () => {
  it("a database that does not exist says to create it (exit 1)", async () => {
    const url = new URL(testEnv.testDatabaseUrl ?? "");
    url.pathname = "/rosterlab_no_such_database";
    expectOneLine(
      await runCli(["serve", "--port", "0"], { DATABASE_URL: url.toString() }),
      1,
      /database "rosterlab_no_such_database" does not exist\. Create it \(createdb\) or point DATABASE_URL/,
    );
  });
});
