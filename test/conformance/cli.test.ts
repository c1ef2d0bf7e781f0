// The `conformance` command end to end: against a provider startLocal hands it (writes on, JSON and JUnit files
// written, the provider closed); against a provider given by flags and ONEROSTER_* variables, where a MUST failure
// exits 1, a wrong secret exits 3 with one message, --only takes areas, and the secret is never printed.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { registerConformanceCommand } from "../../conformance/cli.js";
import type { Report } from "../../conformance/run.js";
import { describePrimaryDb } from "../support/each-db.js";
import { SEEDED_NOW, useSeededProvider } from "../support/seeded-provider.js";
import { startProvider } from "../support/server.js";
import { createTickingClock } from "../support/ticking-clock.js";

/** Runs the command with argv and an environment, capturing output; returns the exit code it set and what it printed. */
async function runCommand(
  argv: string[],
  startLocal?: Parameters<typeof registerConformanceCommand>[1],
  env: Record<string, string> = {},
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const program = new Command().exitOverride();
  registerConformanceCommand(program, startLocal, env);
  const printed: string[] = [];
  const errors: string[] = [];
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    errors.push(String(chunk));
    return true;
  });
  try {
    await program.parseAsync(["node", "rosterlab", "conformance", ...argv]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { exitCode, stdout: printed.join(""), stderr: errors.join("") };
}

describePrimaryDb("rosterlab conformance command", (kind) => {
  const seeded = useSeededProvider(kind, { clock: createTickingClock(SEEDED_NOW) });
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

  test("exits 1 when a MUST check fails, taking the provider from ONEROSTER_* variables and never printing the secret", async () => {
    const provider = await startProvider(seeded.db.handle, {
      quirks: ["no-total-count"],
      clock: createTickingClock(SEEDED_NOW),
    });
    try {
      const { exitCode, stdout, stderr } = await runCommand(
        ["--profile", "rostering-core", "--only", "PAG-003,PAG-010", "--junit", join(dir, "j.xml")],
        undefined,
        {
          ONEROSTER_BASE_URL: provider.baseUrl,
          ONEROSTER_TOKEN_URL: provider.tokenUrl,
          ONEROSTER_CLIENT_ID: provider.clientId,
          ONEROSTER_CLIENT_SECRET: provider.clientSecret,
        },
      );
      expect(exitCode).toBe(1);
      expect(stdout).toMatch(/✗ PAG-003 MUST send an X-Total-Count header/);
      expect(stdout).toMatch(/X-Total-Count missing/);
      expect(stdout).toContain("FAIL: 1 MUST check(s) failed");
      const xml = await readFile(join(dir, "j.xml"), "utf8");
      for (const text of [stdout, stderr, xml]) {
        expect(text).not.toContain(provider.clientSecret);
      }
      expect(xml).toMatch(/<testsuites[^>]*failures="1"/);
    } finally {
      await provider.close();
    }
  }, 120_000);

  test("exits 3 with one message when the secret is wrong, and warns that --client-secret shows the secret", async () => {
    const p = seeded.provider;
    const { exitCode, stdout, stderr } = await runCommand([
      "--base-url",
      p.baseUrl,
      "--token-url",
      p.tokenUrl,
      "--client-id",
      p.clientId,
      "--client-secret",
      "a-wrong-secret",
    ]);
    expect(exitCode).toBe(3);
    expect(stderr).toContain("--client-secret is visible in process lists and npm's script banner");
    expect(stderr).toMatch(/cannot run the checks: the token endpoint .* refused the client credentials/);
    expect(stdout).toContain("ABORTED before any check ran (preflight, token)");
    expect(stdout).not.toMatch(/✗|✓/);
    expect(`${stdout}${stderr}`).not.toContain("a-wrong-secret");
  }, 120_000);

  test("runs the checks of the areas --only names, minus those --skip names, and refuses an unknown selector", async () => {
    const p = seeded.provider;
    const env = { ONEROSTER_CLIENT_SECRET: p.clientSecret };
    const flags = ["--base-url", p.baseUrl, "--token-url", p.tokenUrl, "--client-id", p.clientId];
    const { exitCode, stdout } = await runCommand(
      [...flags, "--only", "sorting,FLD-005", "--skip", "SRT-004", "--json", join(dir, "r.json")],
      undefined,
      env,
    );
    expect(exitCode).toBe(0);
    const report = JSON.parse(await readFile(join(dir, "r.json"), "utf8")) as Report;
    expect(report.results.map((r) => r.id)).toEqual(["SRT-001", "SRT-002", "SRT-003", "FLD-005"]);
    expect(stdout).toContain("4 checks");
    await expect(runCommand([...flags, "--only", "sortin"], undefined, env)).rejects.toThrow(
      /unknown check id or area: sortin/,
    );
  }, 120_000);
});
