// The `conformance` command end to end: against a provider startLocal hands it (writes on, JSON and JUnit files
// written, the provider closed) and against a --base-url provider with a quirk, where a MUST failure exits 1.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { registerConformanceCommand } from "../../conformance/cli.js";
import type { Report } from "../../conformance/run.js";
import { describePrimaryDb } from "../support/each-db.js";
import { SEEDED_NOW, useSeededProvider } from "../support/seeded-provider.js";
import { createTestClock, startProvider } from "../support/server.js";

/** Runs the command with argv, capturing stdout; returns the exit code it set and what it printed. */
async function runCommand(
  argv: string[],
  startLocal?: Parameters<typeof registerConformanceCommand>[1],
): Promise<{ exitCode: number; stdout: string }> {
  const program = new Command().exitOverride();
  registerConformanceCommand(program, startLocal);
  const printed: string[] = [];
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    await program.parseAsync(["node", "rosterlab", "conformance", ...argv]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { exitCode, stdout: printed.join("") };
}

describePrimaryDb("rosterlab conformance command", (kind) => {
  const seeded = useSeededProvider(kind);
  let dir = "";
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "rl-conformance-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("without --base-url checks the provider startLocal starts, with writes, writes JSON and JUnit, closes it and exits 0", async () => {
    let closed = false;
    const p = seeded.provider;
    const { exitCode, stdout } = await runCommand(
      ["--profile", "gradebook", "--json", join(dir, "r.json"), "--junit", join(dir, "out/j.xml")],
      async () => ({
        baseUrl: p.baseUrl,
        tokenUrl: p.tokenUrl,
        clientId: p.clientId,
        clientSecret: p.clientSecret,
        close: async () => {
          closed = true;
        },
      }),
    );
    expect(exitCode).toBe(0);
    expect(closed).toBe(true);
    expect(stdout).toContain("PASS: every MUST check passed");
    const report = JSON.parse(await readFile(join(dir, "r.json"), "utf8")) as Report;
    expect(report.allowWrites).toBe(true);
    expect(report.results.find((r) => r.id === "GBW-001")?.status).toBe("pass");
    const xml = await readFile(join(dir, "out/j.xml"), "utf8");
    expect(xml.match(/<testcase /g)).toHaveLength(report.results.length);
  }, 120_000);

  test("exits 1 when a MUST check fails and names the failing check in the report", async () => {
    const provider = await startProvider(seeded.db.handle, {
      quirks: ["no-total-count"],
      clock: createTestClock(SEEDED_NOW),
    });
    try {
      const { exitCode, stdout } = await runCommand([
        "--base-url",
        provider.baseUrl,
        "--token-url",
        provider.tokenUrl,
        "--client-id",
        provider.clientId,
        "--client-secret",
        provider.clientSecret,
        "--profile",
        "rostering-core",
        "--only",
        "PAG-003,PAG-010",
      ]);
      expect(exitCode).toBe(1);
      expect(stdout).toMatch(/✗ PAG-003 MUST send an X-Total-Count header/);
      expect(stdout).toMatch(/X-Total-Count missing/);
      expect(stdout).toContain("FAIL: 1 MUST check(s) failed");
    } finally {
      await provider.close();
    }
  }, 120_000);
});
