// Runs `rosterlab conformance consumer --sync-command …` as a user would (the real CLI in a child process, which
// starts its own provider) and reads back the JSON report; shared by the scenario tests.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { childProcessEnv } from "../setup/env.js";

export const ROSTERLAB = fileURLToPath(new URL("../../bin/rosterlab.js", import.meta.url));
export const CARELESS = fileURLToPath(new URL("../fixtures/careless-consumer.ts", import.meta.url));

export interface ScenarioRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  report: {
    clientId: string;
    steps: { name: string; kind: string; exitCode: number | null; change: string; exportError?: string }[];
    card: { verdicts: { id: string; outcome: string; summary: string; evidence: unknown[] }[] };
  };
  outcome(id: string): string | undefined;
}

/** Runs one scenario; `args` are the command's flags after `conformance consumer`. */
export async function runScenarioCli(args: string[]): Promise<ScenarioRun> {
  const dir = await mkdtemp(join(tmpdir(), "rosterlab-scenario-test-"));
  try {
    const json = join(dir, "report.json");
    const child = spawn(process.execPath, [ROSTERLAB, "conformance", "--json", json, "consumer", ...args], {
      env: childProcessEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const [exitCode] = (await once(child, "close")) as [number | null];
    const report = JSON.parse(await readFile(json, "utf8").catch(() => "null")) as ScenarioRun["report"];
    if (!report) {
      throw new Error(`no report (exit ${exitCode}):\n${stdout}\n${stderr}`);
    }
    return {
      exitCode,
      stdout,
      stderr,
      report,
      outcome: (id) => report.card.verdicts.find((v) => v.id === id)?.outcome,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The command line that runs the careless consumer fixture in one of its modes. */
export function careless(command: "sync" | "export", mode: string): string {
  return `"${process.execPath}" --import tsx "${CARELESS}" ${command} ${mode}`;
}
