// Runs the real CLI (bin/rosterlab.js, or the launcher of another checkout) in a child process and collects what it
// printed and its exit code; shared by the CLI tests.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROSTERLAB_CLI = fileURLToPath(new URL("../../bin/rosterlab.js", import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  /** The child's whole environment (default: none beyond what the platform gives a process). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The launcher to run (default: this checkout's). */
  cli?: string;
}

/** Runs `rosterlab ARGS` to its end; the exit code is -1 when it was killed by a signal. */
export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.cli ?? ROSTERLAB_CLI, ...args], {
      ...(options.env ? { env: options.env } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
