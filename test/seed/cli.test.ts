// The `seed` and `advance` commands as a user runs them: JSON summaries with a fingerprint, refusal to load over
// data, --if-empty, advance on DATABASE_URL, and clear errors with exit codes for bad input.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerSeedCommands } from "../../seed/cli.js";
import { migrateDb } from "../../server/db/migrate.js";

interface Run {
  out: string;
  err: string;
  exitCode: number;
}

/** The environment the commands read: a PGlite directory of this file's own (set in beforeAll). */
const env: NodeJS.ProcessEnv = {};

async function run(args: string[]): Promise<Run> {
  let out = "";
  let err = "";
  const program = new Command("rosterlab").exitOverride();
  program.configureOutput({
    writeOut: (s) => {
      out += s;
    },
    writeErr: (s) => {
      err += s;
    },
  });
  registerSeedCommands(program, {
    migrateDb,
    env,
    out: { write: (s: string) => (out += s) },
    err: { write: (s: string) => (err += s) },
  });
  const before = process.exitCode;
  process.exitCode = 0;
  let exitCode = 0;
  try {
    await program.parseAsync(args, { from: "user" });
    exitCode = Number(process.exitCode ?? 0);
  } catch (e) {
    exitCode = (e as { exitCode?: number }).exitCode ?? 1;
  } finally {
    process.exitCode = before;
  }
  return { out, err, exitCode };
}

describe("the seed and advance commands", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "rl-seed-cli-"));
    env.DATABASE_URL = join(dir, "pgdata");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("seeds a district and prints a JSON summary with counts, edge cases and a fingerprint", async () => {
    const r = await run(["seed", "--size", "tiny", "--seed", "2", "--json"]);
    expect(r.exitCode).toBe(0);
    const summary = JSON.parse(r.out);
    expect(summary.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(summary.rows.users).toBeGreaterThan(0);
    expect(summary.edgeCases.coTaughtClasses).toBeGreaterThan(0);
    expect(summary.options).toMatchObject({ seed: 2, size: "tiny", locale: "en_US" });
  });

  it("refuses to seed over existing data, and --if-empty leaves it alone", async () => {
    const refused = await run(["seed", "--size", "tiny", "--seed", "3"]);
    expect(refused.exitCode).toBe(1);
    expect(refused.err).toContain("--reset");
    const kept = await run(["seed", "--size", "tiny", "--seed", "3", "--if-empty", "--json"]);
    expect(kept.exitCode).toBe(0);
    expect(JSON.parse(kept.out).skipped).toBe(true);
  });

  it("advances the district on DATABASE_URL and reports what changed", async () => {
    const r = await run(["advance", "--days", "3", "--churn-rate", "0.05", "--json"]);
    expect(r.exitCode).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.days).toBe(3);
    expect(s.fromDate).toBe("2026-09-15");
    expect(Object.values(s.changed as Record<string, number>).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it("answers bad flags with a message and exit code 2, never a stack trace", async () => {
    const days = await run(["advance", "--days", "zero"]);
    expect(days.exitCode).toBe(2);
    expect(days.err).toContain("days");
    const count = await run(["seed", "--size", "tiny", "--students", "-4"]);
    expect(count.exitCode).toBe(2);
    expect(count.err).not.toContain("    at ");
    const noToken = await run(["advance", "--days", "1", "--url", "http://127.0.0.1:9"]);
    expect(noToken.exitCode).toBe(2);
    expect(noToken.err).toContain("admin");
  });

  it("rejects an unknown size preset before touching the database", async () => {
    const r = await run(["seed", "--size", "huge"]);
    expect(r.exitCode).not.toBe(0);
    expect(r.err).toContain("huge");
  });

  it("documents every generator flag in --help", async () => {
    const r = await run(["seed", "--help"]);
    for (const flag of [
      "--seed",
      "--size",
      "--as-of",
      "--locale",
      "--clean",
      "--if-empty",
      "--reset",
      "--students",
      "--gradebook-density",
      "--json",
    ]) {
      expect(r.out, flag).toContain(flag);
    }
  });
});
