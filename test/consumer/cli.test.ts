// `rosterlab sync …` as a user runs it: the real CLI in a child process against a provider served by this test on
// 127.0.0.1, with secrets from ROSTERLAB_SYNC_* variables. Help, clear errors and exit codes, JSON output, a held
// batch (exit 3) approved from the command line, status, batches, show and export.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childProcessEnv } from "../setup/env.js";
import { runCli } from "../support/run-cli.js";
import { openSyncHarness, type SyncHarness } from "../support/sync-harness.js";

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const run = await runCli(args, { env: { ...childProcessEnv(), ...env } });
  return { code: run.code, out: run.stdout, err: run.stderr };
}

describe("the sync command", { timeout: 180_000 }, () => {
  let h: SyncHarness;
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    h = await openSyncHarness("pglite");
    dir = await mkdtemp(join(tmpdir(), "rosterlab-sync-cli-"));
    env = {
      ROSTERLAB_SYNC_BASE_URL: h.connection.baseUrl,
      ROSTERLAB_SYNC_TOKEN_URL: h.connection.tokenUrl,
      ROSTERLAB_SYNC_CLIENT_ID: h.connection.clientId,
      ROSTERLAB_SYNC_CLIENT_SECRET: h.connection.clientSecret,
      ROSTERLAB_LMS_URL: join(dir, "lms"),
    };
  }, 120_000);
  afterAll(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("explains itself with --help, naming every option and its environment variable", async () => {
    const r = await cli(["sync", "run", "--help"]);
    expect(r.code).toBe(0);
    for (const word of [
      "--base-url",
      "ROSTERLAB_SYNC_CLIENT_SECRET",
      "--full",
      "--since",
      "--dry-run",
      "--profile",
      "--config",
      "--json",
      "ROSTERLAB_LMS_URL",
    ]) {
      expect(r.out).toContain(word);
    }
  });

  it("says what is missing, with exit code 2, and no stack trace", async () => {
    const r = await cli(["sync"], { ROSTERLAB_LMS_URL: join(dir, "empty") });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--base-url \(or ROSTERLAB_SYNC_BASE_URL\)/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it("reports every bad config field with its path (exit 2)", async () => {
    const file = join(dir, "bad.json");
    await writeFile(
      file,
      JSON.stringify({ safety: { thresholds: { persons: { delete: -1 } } }, roleMap: { wizard: "Mage" } }),
    );
    const r = await cli(["sync", "--config", file], env);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/safety\.thresholds\.persons\.delete/);
    expect(r.err).toMatch(/roleMap/);
  });

  it("runs a full sync with secrets from the environment, prints JSON, and never echoes the secret", async () => {
    const r = await cli(["sync", "--json"], env);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as {
      status: string;
      mode: string;
      counts: { byEntity: { user: { create: number } } };
    };
    expect(report.mode).toBe("full");
    expect(report.status).toMatch(/^completed/);
    expect(report.counts.byEntity.user.create).toBeGreaterThan(0);
    expect(r.out + r.err).not.toContain(h.connection.clientSecret);
    const status = await cli(["sync", "status", "--json"], env);
    expect(JSON.parse(status.out).lastSuccess.batchId).toBe(1);
    const exported = JSON.parse((await cli(["sync", "export"], env)).out) as { users: unknown[] };
    expect(exported.users.length).toBe(report.counts.byEntity.user.create);
  });

  it("holds a mass withdrawal with exit code 3, shows why, and applies it on approve", async () => {
    const first = await cli(["sync"], env);
    expect(first.code).toBe(0);
    const active = (await h.providerRecords("/enrollments", "enrollments")).filter((e) => e.status === "active");
    // The CLI runs on the wall clock: the provider stamps its changes from now on, as a live SIS does.
    h.clock.set(new Date());
    await h.setStatus(
      "enrollments",
      active.slice(0, Math.ceil(active.length / 2)).map((e) => String(e.sourcedId)),
      "tobedeleted",
    );
    const held = await cli(["sync"], env);
    expect(held.code).toBe(3);
    expect(held.out).toMatch(/held by the safety filter: memberships delete/);
    const id = /batch (\d+)/.exec(held.out)?.[1];
    expect(id).toBeDefined();
    const refused = await cli(["sync"], env);
    expect(refused.code).toBe(3);
    expect(refused.err).toMatch(new RegExp(`batch ${id} is held`));
    const show = await cli(["sync", "show", String(id), "--plan", "5"], env);
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/delete\s+enrollment/);
    const approved = await cli(["sync", "approve", String(id)], env);
    expect(approved.code).toBe(0);
    expect(approved.out).toMatch(/completed/);
    const list = await cli(["sync", "batches"], env);
    expect(list.out).toMatch(new RegExp(`\\s${id}\\s+completed`));
  });

  it("fails cleanly (exit 1) when the provider cannot be reached", async () => {
    const file = join(dir, "few-retries.json");
    await writeFile(file, JSON.stringify({ fetch: { retries: 1 } }));
    const r = await cli(["sync", "--full", "--config", file], {
      ...env,
      ROSTERLAB_SYNC_BASE_URL: "http://127.0.0.1:9/ims/oneroster/v1p1",
      ROSTERLAB_SYNC_TOKEN_URL: "http://127.0.0.1:9/oauth/token",
      ROSTERLAB_LMS_URL: join(dir, "unreachable"),
    });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/failed/);
    expect(r.out).toMatch(/token request .* failed/);
    expect(r.err + r.out).not.toMatch(/\n\s+at /);
  });
});
