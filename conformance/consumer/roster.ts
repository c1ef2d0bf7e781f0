// The roster half of a consumer scenario's judgement: a roster is, per collection, sourcedId → status; one is read
// from the provider around each step, the other from the consumer's own export (OneRoster-shaped JSON). Pure
// functions: parse an export, compare the two, and turn the steps of a scenario into verdicts SCN-001…SCN-005.
import { z } from "zod";
import type { Verdict } from "./scorecard.js";

/** The collections a roster comparison covers, by envelope key; an export may leave any of them out. */
export const ROSTER_COLLECTIONS = ["academicSessions", "orgs", "courses", "classes", "users", "enrollments"] as const;
export type RosterCollection = (typeof ROSTER_COLLECTIONS)[number];

/** collection → sourcedId → status ("active" or "tobedeleted"). */
export type Roster = Map<RosterCollection, Map<string, string>>;

const ExportedRecord = z.looseObject({ sourcedId: z.string().min(1), status: z.string().optional() });
const ExportSchema = z.looseObject(
  Object.fromEntries(ROSTER_COLLECTIONS.map((c) => [c, z.array(ExportedRecord).optional()])) as Record<
    RosterCollection,
    z.ZodOptional<z.ZodArray<typeof ExportedRecord>>
  >,
);

/** A consumer's export the scenario cannot read; the message says what was expected. */
export class ExportFormatError extends Error {
  override name = "ExportFormatError";
}

/**
 * Reads an export: a JSON object with any of the keys academicSessions, orgs, courses, classes, users, enrollments,
 * each an array of records with a `sourcedId` and an optional `status` (absent means active), as `rosterlab sync
 * export` prints. Collections the object leaves out are not compared.
 */
export function parseExport(text: string): Roster {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ExportFormatError(`the export command did not print JSON (${(error as Error).message})`);
  }
  const parsed = ExportSchema.safeParse(value);
  if (!parsed.success) {
    const problem = parsed.error.issues[0];
    throw new ExportFormatError(
      `the export is not a roster: ${problem?.path.join(".") || "top level"}: ${problem?.message}; expected {"users": [{"sourcedId": …, "status"?: …}, …], …}`,
    );
  }
  const roster: Roster = new Map();
  for (const c of ROSTER_COLLECTIONS) {
    const records = parsed.data[c];
    if (records) {
      roster.set(c, new Map(records.map((r) => [r.sourcedId, r.status ?? "active"])));
    }
  }
  return roster;
}

function activeIds(records: Map<string, string> | undefined): Set<string> {
  return new Set([...(records ?? [])].filter(([, status]) => status === "active").map(([id]) => id));
}

/** What one export gets wrong against the provider, per collection the export holds. */
export interface RosterDiff {
  /** Active in the export, not active (tombstoned or gone) at the provider. */
  stale: Partial<Record<RosterCollection, string[]>>;
  /** Active at the provider, not active in the export, and not among the records the consumer declined at first. */
  missing: Partial<Record<RosterCollection, string[]>>;
  /** Active records at the provider, per collection compared. */
  providerActive: Partial<Record<RosterCollection, number>>;
}

export function compareRosters(exported: Roster, provider: Roster, declined?: Roster): RosterDiff {
  const diff: RosterDiff = { stale: {}, missing: {}, providerActive: {} };
  for (const [collection, records] of exported) {
    const held = activeIds(records);
    const served = activeIds(provider.get(collection));
    const skip = declined?.get(collection);
    const stale = [...held].filter((id) => !served.has(id)).sort();
    const missing = [...served].filter((id) => !held.has(id) && !skip?.has(id)).sort();
    diff.providerActive[collection] = served.size;
    if (stale.length > 0) {
      diff.stale[collection] = stale;
    }
    if (missing.length > 0) {
      diff.missing[collection] = missing;
    }
  }
  return diff;
}

/** The records a first full run left out (the consumer's own choice or its errors): not held against it later. */
export function declinedBy(diff: RosterDiff): Roster {
  return new Map(
    Object.entries(diff.missing).map(([c, ids]) => [c as RosterCollection, new Map(ids.map((id) => [id, "active"]))]),
  );
}

/** True when two exports hold the same records with the same statuses (a collection left out counts as empty). */
export function sameRoster(a: Roster, b: Roster): boolean {
  for (const collection of ROSTER_COLLECTIONS) {
    const mine = a.get(collection) ?? new Map<string, string>();
    const other = b.get(collection) ?? new Map<string, string>();
    if (mine.size !== other.size) {
      return false;
    }
    for (const [id, status] of mine) {
      if (other.get(id) !== status) {
        return false;
      }
    }
  }
  return true;
}

export type StepKind = "full" | "day" | "fault" | "recovery" | "withdrawal";

/** One step as the judge sees it: what the provider changed, what the consumer's command did, what it then held. */
export interface JudgedStep {
  name: string;
  kind: StepKind;
  at: string;
  exitCode: number | null;
  timedOut: boolean;
  /** The provider after this step's change (before the command ran). */
  provider: Roster;
  /** Records the provider took out of the active roster in this step (the mass withdrawal's size). */
  deactivated: number;
  /** The consumer's roster after the command, when it can export one. */
  exported?: Roster;
  exportError?: string;
}

export interface RosterRules {
  /** Share of a collection's active records an export may leave out, in percent (the consumer's refusals). */
  maxMissingPercent: number;
}

const SHOWN_IDS = 5;

function listIds(ids: string[]): string {
  return `${ids.slice(0, SHOWN_IDS).join(", ")}${ids.length > SHOWN_IDS ? `, … ${ids.length - SHOWN_IDS} more` : ""}`;
}

/** The problems of a diff under the rules, one line each; empty when the export matches. */
export function diffProblems(diff: RosterDiff, rules: RosterRules): string[] {
  const problems: string[] = [];
  for (const [collection, ids] of Object.entries(diff.stale)) {
    problems.push(
      `${collection}: ${ids.length} held active that the provider no longer serves active (${listIds(ids)})`,
    );
  }
  for (const [collection, ids] of Object.entries(diff.missing)) {
    const served = diff.providerActive[collection as RosterCollection] ?? 0;
    const allowed = Math.floor((served * rules.maxMissingPercent) / 100);
    if (ids.length > allowed) {
      problems.push(
        `${collection}: ${ids.length} of ${served} active records missing (at most ${allowed} allowed: ${listIds(ids)})`,
      );
    }
  }
  return problems;
}

function stepEvidence(step: JudgedStep, note: string, index: number): Verdict["evidence"][number] {
  return { id: index, at: step.at, method: "STEP", path: step.name, query: null, status: step.exitCode ?? -1, note };
}

function exitText(step: JudgedStep): string {
  return step.timedOut ? "timed out" : `exit ${step.exitCode}`;
}

function verdict(
  id: string,
  title: string,
  section: string,
  failures: Verdict["evidence"],
  applies: boolean,
  passSummary: string,
): Verdict {
  if (!applies) {
    return { id, title, section, outcome: "not-applicable", summary: passSummary, evidence: [] };
  }
  return {
    id,
    title,
    section,
    outcome: failures.length > 0 ? "fail" : "pass",
    summary: failures.length > 0 ? `${failures.length} step(s) show it: ${failures[0]?.note ?? ""}` : passSummary,
    evidence: failures,
  };
}

/**
 * The scenario's own verdicts from its steps (the scorecard's CON-… verdicts come from the request log). A step
 * without an export is judged by its exit status alone, and the verdicts that need a roster are then not applicable.
 */
export function judgeSteps(steps: JudgedStep[], rules: RosterRules): Verdict[] {
  const full = steps.find((s) => s.kind === "full");
  const fullDiff = full?.exported ? compareRosters(full.exported, full.provider) : undefined;
  const declined = fullDiff ? declinedBy(fullDiff) : undefined;
  const problemsOf = (s: JudgedStep): string[] =>
    s.exportError
      ? [`its export could not be read: ${s.exportError}`]
      : s.exported
        ? diffProblems(compareRosters(s.exported, s.provider, s.kind === "full" ? undefined : declined), rules)
        : [];
  const failuresOf = (kinds: StepKind[], judge: (s: JudgedStep) => string[]) =>
    steps
      .filter((s) => kinds.includes(s.kind))
      .flatMap((s) => judge(s).map((note) => stepEvidence(s, note, steps.indexOf(s))));
  const mustFinish = (s: JudgedStep) =>
    s.exitCode === 0 && !s.timedOut ? problemsOf(s) : [`${exitText(s)}: the run did not finish`];
  const previousExport = (s: JudgedStep) => {
    for (let i = steps.indexOf(s) - 1; i >= 0; i--) {
      const e = steps[i]?.exported;
      if (e) {
        return e;
      }
    }
    return undefined;
  };
  const hasExports = steps.some((s) => s.exported || s.exportError);
  const withdrawal = steps.find((s) => s.kind === "withdrawal");

  return [
    verdict(
      "SCN-001",
      "MUST finish the first full sync and hold the provider's roster (every active record, nothing it does not serve)",
      "notes §8; product brief, consumer rules",
      failuresOf(["full"], mustFinish),
      full !== undefined,
      "the first run finished and its roster matches the provider's",
    ),
    verdict(
      "SCN-002",
      "MUST follow each day's changes: new records arrive, tombstoned ones leave, nothing stale stays active",
      "notes §8 (delta reads and tobedeleted)",
      failuresOf(["day", "recovery"], mustFinish),
      steps.some((s) => s.kind === "day" || s.kind === "recovery"),
      "after every day the roster matched the provider's",
    ),
    verdict(
      "SCN-003",
      "MUST ride out transient faults (429 with Retry-After, 5xx bursts, a token that dies mid-run) and finish the run",
      "notes §5 and §6; RFC 6585 §4; RFC 6750 §3.1",
      failuresOf(["fault"], mustFinish),
      steps.some((s) => s.kind === "fault"),
      "the run under faults finished with the roster right",
    ),
    verdict(
      "SCN-004",
      "MUST take a mass withdrawal whole or hold it whole: the roster is the provider's after it, or unchanged",
      "product brief: a sync applies all of a run or none; seed 003 safety filter",
      failuresOf(["withdrawal"], (s) => {
        if (s.exitCode === 0 && !s.timedOut) {
          return problemsOf(s);
        }
        const before = previousExport(s);
        if (!s.exported || !before) {
          return s.exportError ? [`its export could not be read: ${s.exportError}`] : [];
        }
        return sameRoster(s.exported, before)
          ? []
          : [`${exitText(s)} (held or failed) but the roster changed: part of the withdrawal was applied`];
      }),
      withdrawal !== undefined && hasExports,
      withdrawal && withdrawal.exitCode !== 0
        ? `the withdrawal of ${withdrawal.deactivated} record(s) was held whole (${exitText(withdrawal)}), the roster untouched`
        : "the withdrawal was applied whole",
    ),
    verdict(
      "SCN-005",
      "MUST change nothing when a run fails: a run applies all of its changes or none",
      "product brief: a sync applies all of a run or none",
      failuresOf(["full", "day", "fault", "recovery"], (s) => {
        if (s.exitCode === 0 && !s.timedOut) {
          return [];
        }
        const before = previousExport(s) ?? new Map();
        if (!s.exported) {
          return [];
        }
        return sameRoster(s.exported, before) ? [] : [`${exitText(s)} but the roster changed`];
      }),
      hasExports && steps.some((s) => s.kind !== "withdrawal" && (s.exitCode !== 0 || s.timedOut)),
      "every failed run left the roster as it was",
    ),
  ];
}
