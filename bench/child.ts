// Starts a bench child process (provider or ceiling), waits for its one-line JSON "ready" message on stdout, and stops
// it again. A child also exits when its stdin closes, so a crashed runner leaves no orphans. Children run the esbuild
// build of the sources that `npm start` runs (bin/build.js, with bench/ added), so the figures are of that code;
// without a build (ROSTERLAB_BUILD=off in the children's environment, or none can be made) they run under tsx.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLI_DIRS, ensureBuild } from "../bin/build.js";

/** The line prefix a child prints once it listens; the rest of the line is its JSON payload. */
export const READY_PREFIX = "BENCH-READY ";

export interface BenchChild<T> {
  info: T;
  pid: number;
  /** Sends SIGTERM and waits for exit (a cpu profile, if asked for, is written on the way out). */
  stop(): Promise<void>;
}

export interface SpawnChildOptions {
  /** Path of the child script relative to bench/. */
  script: string;
  args?: string[];
  /** The child's whole environment (the bench entry point passes its own, with NODE_ENV=production). */
  env: NodeJS.ProcessEnv;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
  /** Written to the child's stdin as one line before waiting (the ceiling receives its bodies this way). */
  input?: string;
  timeoutMs?: number;
}

/** The build every child of this runner uses (undefined: none could be made), made on the first spawn. */
let built: Promise<string | undefined> | undefined;

/** The node arguments that run `script` (relative to bench/): its built file, or its source under tsx. */
async function scriptArgs(script: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  if (env.ROSTERLAB_BUILD !== "off") {
    built ??= ensureBuild([...CLI_DIRS, "bench"]).catch(() => undefined);
    const dir = await built;
    if (dir) {
      return [join(dir, "bench", script.replace(/\.ts$/, ".js"))];
    }
  }
  return ["--import", "tsx", fileURLToPath(new URL(script, import.meta.url))];
}

export async function spawnChild<T>(options: SpawnChildOptions): Promise<BenchChild<T>> {
  const child = spawn(
    process.execPath,
    [...(options.nodeFlags ?? []), ...(await scriptArgs(options.script, options.env)), ...(options.args ?? [])],
    {
      stdio: ["pipe", "pipe", "pipe"],
      env: options.env,
    },
  );
  const stderr: string[] = [];
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    stderr.push(d);
    if (stderr.length > 200) {
      stderr.shift();
    }
  });
  if (options.input !== undefined) {
    child.stdin?.write(`${options.input}\n`);
  }
  const info = await new Promise<T>((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => {
      fail(new Error(`${options.script} did not report ready within ${options.timeoutMs ?? 300_000} ms`));
    }, options.timeoutMs ?? 300_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${error.message}\n--- child stderr (tail) ---\n${stderr.join("").slice(-4000)}`));
    };
    child.once("exit", (code, signal) =>
      fail(new Error(`${options.script} exited early (code ${code}, signal ${signal})`)),
    );
    child.once("error", (e) => fail(e));
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      buffered += d;
      let nl = buffered.indexOf("\n");
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith(READY_PREFIX)) {
          clearTimeout(timer);
          child.removeAllListeners("exit");
          resolve(JSON.parse(line.slice(READY_PREFIX.length)) as T);
        }
        nl = buffered.indexOf("\n");
      }
    });
  });
  if (child.pid === undefined) {
    throw new Error(`${options.script} has no pid`);
  }
  return { info, pid: child.pid, stop: () => stopChild(child) };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("exit", () => {
      clearTimeout(hard);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Child side: the one line of input the runner wrote to stdin (a job or the ceiling's bodies). */
export function readInputLine(): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const onData = (d: string) => {
      buffered += d;
      const nl = buffered.indexOf("\n");
      if (nl >= 0) {
        process.stdin.off("data", onData);
        resolve(buffered.slice(0, nl));
      }
    };
    process.stdin.setEncoding("utf8").on("data", onData);
    process.stdin.once("end", () => reject(new Error("stdin closed before the input line arrived")));
  });
}

/** Child side: print the ready line, and exit cleanly on SIGTERM, SIGINT or when the parent's pipe closes. */
export function announceReady(payload: unknown, close: () => Promise<void>): void {
  let closing = false;
  const shutdown = () => {
    if (closing) {
      return;
    }
    closing = true;
    close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`close failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
  process.stdin.on("end", shutdown);
  process.stdin.resume();
  process.stdout.write(`${READY_PREFIX}${JSON.stringify(payload)}\n`);
}
