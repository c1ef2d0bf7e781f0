// `rosterlab conformance consumer --sync-command "…"`: a scripted scenario that judges someone's consumer end to end.
// It starts a rosterlab provider of its own (a child process on embedded PGlite, a fresh seeded district), registers
// a client for the consumer, and runs the consumer's command once per step: a full first sync, plain days, a day
// with faults switched on for that client (they fire mid-run: every Nth request), a day after them, and a mass
// withdrawal. Around each step it reads the provider's roster over HTTP; after each it runs the optional export
// command. The verdicts: the scenario's own (roster.ts) and the provider's scorecard of the client (the request log).
// Reaches the provider only over HTTP (admin API, OneRoster API); the provider is a process, never imported.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { OneRosterClient } from "../../oneroster/client/index.js";
import {
  ExportFormatError,
  type JudgedStep,
  judgeSteps,
  parseExport,
  ROSTER_COLLECTIONS,
  type Roster,
  type StepKind,
} from "./roster.js";
import { fetchScorecard, type Scorecard, ScorecardError } from "./scorecard.js";

/** The launcher of the rosterlab CLI beside this package (the scenario's provider runs `rosterlab serve`). */
const ROSTERLAB_BIN = fileURLToPath(new URL("../../bin/rosterlab.js", import.meta.url));

/** Faults of the fault step, for the scenario's client only: each fires every Nth request, so mid-run. */
export const DEFAULT_SCENARIO_FAULTS = [
  "rate-limit:every=3,burst=1,retryAfter=1",
  "server-errors:every=4,burst=1,status=503",
  "token-expiry:uses=5",
];

export interface ScenarioOptions {
  /** Run once per step through the shell, with the connection in ROSTERLAB_SYNC_* (and ONEROSTER_*) variables. */
  syncCommand: string;
  /** Prints the consumer's roster as OneRoster-shaped JSON (as `rosterlab sync export` does); optional. */
  exportCommand?: string;
  /** Plain days between the first sync and the fault step. Default 2. */
  days?: number;
  /** The fault presets of the fault step (spec strings). Default DEFAULT_SCENARIO_FAULTS. */
  faults?: string[];
  /** District size preset and seed of the provider. Defaults: tiny, 1. */
  size?: string;
  seed?: number;
  /** A command that runs longer than this is stopped and counts as failed. Default 300 s. */
  stepTimeoutMs?: number;
  /** Share of a collection's active records an export may leave out, percent. Default 10. */
  maxMissingPercent?: number;
  /** The environment commands inherit (the caller reads process.env); DATABASE_URL never reaches the provider. */
  env: Record<string, string | undefined>;
  /** Progress lines for people (stderr). */
  log?: (line: string) => void;
}

export interface StepReport {
  name: string;
  kind: StepKind;
  at: string;
  /** What the provider did in this step (admin API answer, summarised). */
  change: string;
  exitCode: number | null;
  timedOut: boolean;
  ms: number;
  /** The last lines the command printed (stdout and stderr), for reading a failure. */
  outputTail: string;
  exportError?: string;
}

export interface ScenarioReport {
  clientId: string;
  steps: StepReport[];
  /** The scenario's verdicts and the client's scorecard, in one card (SCN-… first). */
  card: Scorecard;
}

/** A scenario that could not be run (the provider would not start, the admin API refused); says what to do. */
export class ScenarioError extends Error {
  override name = "ScenarioError";
}

interface StartedProvider {
  origin: string;
  baseUrl: string;
  tokenUrl: string;
  adminToken: string;
  readerId: string;
  readerSecret: string;
  stop(): Promise<void>;
}

const OUTPUT_TAIL_CHARS = 2000;

function tail(text: string): string {
  return text.length > OUTPUT_TAIL_CHARS ? `…${text.slice(-OUTPUT_TAIL_CHARS)}` : text;
}

/** The caller's environment without DATABASE_URL: the provider serves its own in-memory district, not the user's. */
function inheritedEnv(options: ScenarioOptions): ScenarioOptions["env"] {
  const { DATABASE_URL: _ignored, ...inherited } = options.env;
  return inherited;
}

/** Starts `rosterlab serve` on a free port with a fresh in-memory district; resolves on its connection line. */
async function startProvider(options: ScenarioOptions): Promise<StartedProvider> {
  const adminToken = randomBytes(24).toString("hex");
  const inherited = inheritedEnv(options);
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ROSTERLAB_BIN,
      "serve",
      "--port",
      "0",
      "--json",
      "--size",
      options.size ?? "tiny",
      "--seed",
      String(options.seed ?? 1),
      // A scenario's district is thrown away: no start-up snapshot left behind in the caller's directory.
      "--no-snapshot",
    ],
    {
      env: { ...inherited, ROSTERLAB_ADMIN_TOKEN: adminToken, ROSTERLAB_LOG: "silent" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let errText = "";
  child.stderr?.on("data", (d: Buffer) => {
    errText = tail(errText + d.toString());
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  };
  // The first stdout line is the connection; stdout keeps being drained after it, so the child never blocks on it.
  const firstLine = await new Promise<string | undefined>((resolve) => {
    let outText = "";
    child.stdout?.on("data", (d: Buffer) => {
      outText += d.toString();
      const newline = outText.indexOf("\n");
      if (newline >= 0) {
        resolve(outText.slice(0, newline));
        outText = "";
      }
    });
    child.once("exit", () => resolve(undefined));
  });
  if (firstLine === undefined) {
    throw new ScenarioError(`the provider exited before it was ready${errText ? `: ${errText.trim()}` : ""}`);
  }
  try {
    const d = JSON.parse(firstLine) as Record<string, string>;
    const baseUrl = String(d.baseUrl);
    return {
      origin: new URL(baseUrl).origin,
      baseUrl,
      tokenUrl: String(d.tokenUrl),
      adminToken,
      readerId: String(d.clientId),
      readerSecret: String(d.clientSecret),
      stop,
    };
  } catch {
    await stop();
    throw new ScenarioError(`the provider printed something other than its connection line: ${firstLine.trim()}`);
  }
}

/** The admin API of the scenario's provider: JSON in, JSON out, a refusal is a ScenarioError with its description. */
function adminApi(p: StartedProvider) {
  return async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${p.origin}${path}`, {
      method,
      headers: { authorization: `Bearer ${p.adminToken}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (!res.ok) {
      const info = (json.statusInfoSet as { imsx_description?: string }[] | undefined)?.[0]?.imsx_description;
      throw new ScenarioError(`${method} ${path} answered ${res.status}${info ? `: ${info}` : ""}`);
    }
    return json;
  };
}

/** Every record of the roster collections, tombstones included, read with the provider's own demo client. */
async function readProviderRoster(reader: OneRosterClient): Promise<Roster> {
  const roster: Roster = new Map();
  for (const collection of ROSTER_COLLECTIONS) {
    const records = new Map<string, string>();
    for await (const page of reader.pages({ path: `/${collection}`, envelope: collection, pageSize: 1000 })) {
      for (const r of page.records as { sourcedId?: unknown; status?: unknown }[]) {
        if (typeof r.sourcedId === "string") {
          records.set(r.sourcedId, typeof r.status === "string" ? r.status : "active");
        }
      }
    }
    roster.set(collection, records);
  }
  return roster;
}

function activeCount(roster: Roster): number {
  let n = 0;
  for (const records of roster.values()) {
    for (const status of records.values()) {
      n += status === "active" ? 1 : 0;
    }
  }
  return n;
}

interface CommandResult {
  exitCode: number | null;
  timedOut: boolean;
  ms: number;
  stdout: string;
  output: string;
}

/** Runs a command line through the shell; its whole stdout is kept (an export), and a tail of everything printed. */
async function runCommand(command: string, env: Record<string, string>, timeoutMs: number): Promise<CommandResult> {
  const started = performance.now();
  const child = spawn(command, { shell: true, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let stdout = "";
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
    output = tail(output + d.toString());
  });
  child.stderr?.on("data", (d: Buffer) => {
    output = tail(output + d.toString());
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      // The whole process group: a shell's children go with it.
      process.kill(-(child.pid ?? 0), "SIGKILL");
    } catch {
      child.kill("SIGKILL");
    }
  }, timeoutMs);
  const [code] = (await once(child, "close")) as [number | null];
  clearTimeout(timer);
  return { exitCode: code, timedOut, ms: Math.round(performance.now() - started), stdout, output };
}

interface PlannedStep {
  name: string;
  kind: StepKind;
  /** The provider's change before the command runs; answers a one-line summary. */
  change(admin: ReturnType<typeof adminApi>, clientId: string): Promise<string>;
}

function advanceDay(admin: ReturnType<typeof adminApi>): Promise<string> {
  return admin("POST", "/admin/clock/advance", { days: 1 }).then((s) => {
    const events = s.events as Record<string, number> | undefined;
    const moved = events ? Object.entries(events).filter(([, n]) => n > 0) : [];
    return `advanced to ${String(s.simDate ?? "the next day")}${moved.length ? ` (${moved.map(([k, n]) => `${k} ${n}`).join(", ")})` : ""}`;
  });
}

function plannedSteps(options: ScenarioOptions): PlannedStep[] {
  const faults = options.faults ?? DEFAULT_SCENARIO_FAULTS;
  const steps: PlannedStep[] = [{ name: "first full sync", kind: "full", change: async () => "a fresh district" }];
  for (let d = 1; d <= (options.days ?? 2); d++) {
    steps.push({ name: `day ${d}`, kind: "day", change: (admin) => advanceDay(admin) });
  }
  steps.push(
    {
      name: "a day with faults",
      kind: "fault",
      change: async (admin, clientId) => {
        const day = await advanceDay(admin);
        await admin("PUT", `/admin/clients/${encodeURIComponent(clientId)}/faults`, { faults });
        return `${day}; faults on for this client: ${faults.join(", ")}`;
      },
    },
    {
      name: "the day after the faults",
      kind: "recovery",
      change: async (admin, clientId) => {
        await admin("PUT", `/admin/clients/${encodeURIComponent(clientId)}/faults`, { faults: [] });
        return `faults off; ${await advanceDay(admin)}`;
      },
    },
    {
      name: "a mass withdrawal",
      kind: "withdrawal",
      change: async (admin) => {
        const s = await admin("POST", "/admin/clock/mass-withdrawal", {});
        const schools = (s.schools as { name?: string }[] | undefined)?.map((x) => x.name).join(", ");
        return `withdrew ${String(s.students)} students and ${String(s.enrollments)} enrolments${schools ? ` of ${schools}` : ""}`;
      },
    },
  );
  return steps;
}

/** Runs the whole scenario and judges it. Throws ScenarioError when the scenario itself cannot run. */
export async function runScenario(options: ScenarioOptions): Promise<ScenarioReport> {
  const log = options.log ?? (() => {});
  const timeoutMs = options.stepTimeoutMs ?? 300_000;
  const workDir = await mkdtemp(join(tmpdir(), "rosterlab-scenario-"));
  log(`starting a provider (${options.size ?? "tiny"} district, seed ${options.seed ?? 1})…`);
  const provider = await startProvider(options);
  try {
    const admin = adminApi(provider);
    const clientId = `scenario-${randomBytes(4).toString("hex")}`;
    const created = await admin("POST", "/admin/clients", { clientId, name: "consumer scenario" });
    const clientSecret = String(created.clientSecret);
    // The fault step's presets, checked by the provider now rather than minutes into the scenario.
    const faultsPath = `/admin/clients/${encodeURIComponent(clientId)}/faults`;
    await admin("PUT", faultsPath, { faults: options.faults ?? DEFAULT_SCENARIO_FAULTS }).catch((error: unknown) => {
      throw error instanceof ScenarioError ? new ScenarioError(`--fault: ${error.message}`) : error;
    });
    await admin("PUT", faultsPath, { faults: [] });
    const startedAt = new Date().toISOString();
    const reader = new OneRosterClient({
      baseUrl: provider.baseUrl,
      tokenUrl: provider.tokenUrl,
      clientId: provider.readerId,
      clientSecret: provider.readerSecret,
    });
    const inherited = inheritedEnv(options);
    const commandEnv = Object.fromEntries(
      Object.entries({
        ...inherited,
        // A fresh LMS store per scenario unless the caller chose one.
        ROSTERLAB_LMS_URL: options.env.ROSTERLAB_LMS_URL ?? join(workDir, "lms"),
        ROSTERLAB_SCENARIO_DIR: workDir,
        ROSTERLAB_SYNC_BASE_URL: provider.baseUrl,
        ROSTERLAB_SYNC_TOKEN_URL: provider.tokenUrl,
        ROSTERLAB_SYNC_CLIENT_ID: clientId,
        ROSTERLAB_SYNC_CLIENT_SECRET: clientSecret,
        ONEROSTER_BASE_URL: provider.baseUrl,
        ONEROSTER_TOKEN_URL: provider.tokenUrl,
        ONEROSTER_CLIENT_ID: clientId,
        ONEROSTER_CLIENT_SECRET: clientSecret,
      }).filter((e): e is [string, string] => typeof e[1] === "string"),
    );

    const judged: JudgedStep[] = [];
    const reports: StepReport[] = [];
    let activeBefore = activeCount(await readProviderRoster(reader));
    for (const step of plannedSteps(options)) {
      const at = new Date().toISOString();
      const change = await step.change(admin, clientId);
      const providerRoster = await readProviderRoster(reader);
      const activeAfter = activeCount(providerRoster);
      log(`${step.name}: ${change}; running the sync command…`);
      const run = await runCommand(options.syncCommand, commandEnv, timeoutMs);
      log(`${step.name}: ${run.timedOut ? "timed out" : `exit ${run.exitCode}`} after ${run.ms} ms`);
      const judgedStep: JudgedStep = {
        name: step.name,
        kind: step.kind,
        at,
        exitCode: run.exitCode,
        timedOut: run.timedOut,
        provider: providerRoster,
        deactivated: Math.max(0, activeBefore - activeAfter),
      };
      if (options.exportCommand) {
        const exported = await runCommand(options.exportCommand, commandEnv, timeoutMs);
        try {
          if (exported.exitCode !== 0) {
            throw new ExportFormatError(`the export command ended with exit ${exported.exitCode}: ${exported.output}`);
          }
          judgedStep.exported = parseExport(exported.stdout);
        } catch (error) {
          if (!(error instanceof ExportFormatError)) {
            throw error;
          }
          judgedStep.exportError = error.message;
        }
      }
      judged.push(judgedStep);
      reports.push({
        name: step.name,
        kind: step.kind,
        at,
        change,
        exitCode: run.exitCode,
        timedOut: run.timedOut,
        ms: run.ms,
        outputTail: run.output,
        ...(judgedStep.exportError ? { exportError: judgedStep.exportError } : {}),
      });
      activeBefore = activeAfter;
    }

    const scorecard = await fetchScorecard({
      url: provider.origin,
      adminToken: provider.adminToken,
      clientId,
      since: startedAt,
    }).catch((error: unknown) => {
      throw error instanceof ScorecardError ? new ScenarioError(error.message) : error;
    });
    const verdicts = [
      ...judgeSteps(judged, { maxMissingPercent: options.maxMissingPercent ?? 10 }),
      ...scorecard.verdicts,
    ];
    const summary = { pass: 0, fail: 0, "not-applicable": 0 } as Record<string, number>;
    for (const v of verdicts) {
      summary[v.outcome] = (summary[v.outcome] ?? 0) + 1;
    }
    return { clientId, steps: reports, card: { ...scorecard, verdicts, summary } };
  } finally {
    await provider.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}
