// The Check type: one conformance rule as data (stable id, MUST/SHOULD/MAY title, notes section, profiles),
// plus CheckFailure, the only error a check throws to report a finding. Imported by every file in conformance/.
import type { CheckContext, Exchange } from "./context.js";

/** Requirement level, read from the first word of the title (RFC 2119 style). */
export type Level = "MUST" | "SHOULD" | "MAY";

/** The profiles a user can claim (`--profile`); `all` selects every profile. */
export const PROFILES = ["rostering-core", "rostering", "resources", "gradebook"] as const;
export type Profile = (typeof PROFILES)[number];
export type ProfileChoice = Profile | "all";

/** Report grouping, in the order the report prints it. */
export const AREAS = [
  "auth",
  "endpoints",
  "single-reads",
  "paging",
  "sorting",
  "filtering",
  "fields",
  "delta",
  "gradebook-writes",
  "errors",
] as const;
export type Area = (typeof AREAS)[number];

/**
 * What a check may return instead of passing silently: a skip with its reason, or notes for the report, or the
 * parts it could not exercise (`partial`: an operation with no parent record to call it with, say). A check with
 * `partial` items passed only for what it could run, and the report says so.
 */
export type CheckOutcome = undefined | { skip: string } | { notes?: string[]; partial?: string[] };

export interface Check {
  /** Stable id such as `PAG-003`; never reused once published (pinned by test/conformance/ids.test.ts). */
  id: string;
  /** Starts with MUST, SHOULD or MAY. */
  title: string;
  /** The rule it enforces: a section of docs/oneroster-v1p1-notes.md (`§4`) or an RFC (`RFC 6749 §5.2`). */
  section: string;
  area: Area;
  /** Profiles this check belongs to; it runs when any of them is selected. */
  profiles: readonly Profile[];
  /** True when the check writes to the provider: it runs only with `--allow-writes`. */
  writes?: boolean;
  run(ctx: CheckContext): Promise<CheckOutcome>;
}

/** Reads the level from the title; a title without one is a suite bug. */
export function levelOf(check: Pick<Check, "id" | "title">): Level {
  const word = check.title.split(" ", 1)[0];
  if (word === "MUST" || word === "SHOULD" || word === "MAY") {
    return word;
  }
  throw new Error(`check ${check.id} has a title that does not start with MUST, SHOULD or MAY`);
}

/** One problem inside a failure: what is wrong and the exchange that proves it. */
export interface Problem {
  message: string;
  exchange?: Exchange;
  /** The part of the response that proves the problem (a header, a record, a status payload). */
  proof?: unknown;
}

/**
 * A finding: the provider broke the rule. Any other exception thrown by a check is a suite bug.
 * A failure may bundle several problems (one per endpoint, say), so a report shows all of them at once.
 */
export class CheckFailure extends Error {
  readonly problems: Problem[];
  constructor(problems: Problem[] | Problem) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(list.map((p) => p.message).join("; "));
    this.name = "CheckFailure";
    this.problems = list;
  }
}

/**
 * Thrown when a check cannot judge its own rule because a prerequisite another check owns is broken (the write
 * fixture could not be created, a collection cannot be read at all…). The runner reports it as `blocked by <by>`
 * rather than as a second failure, so one defect is one root cause. If `by` turns out to have passed, the runner
 * reports the check as failed after all: a prerequisite failure is never hidden.
 */
export class Blocked extends Error {
  readonly by: string;
  readonly problems: Problem[];
  constructor(by: string, problems: Problem[] | Problem) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(list.map((p) => p.message).join("; "));
    this.name = "Blocked";
    this.by = by;
    this.problems = list;
  }
}

/** Profiles `--profile` choices select (one or several): `rostering` includes the core profile, `all` everything. */
export function expandProfile(choice: ProfileChoice | readonly ProfileChoice[]): Set<Profile> {
  const out = new Set<Profile>();
  for (const c of typeof choice === "string" ? [choice] : choice) {
    switch (c) {
      case "all":
        for (const p of PROFILES) {
          out.add(p);
        }
        break;
      case "rostering":
        out.add("rostering-core");
        out.add("rostering");
        break;
      default:
        out.add(c);
    }
  }
  return out;
}

/** `rostering,gradebook` → the choices; throws on an unknown name (the CLI reports it). */
export function parseProfileChoices(text: string): ProfileChoice[] {
  const names = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const known: readonly string[] = [...PROFILES, "all"];
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(`unknown profile ${unknown.join(", ") || "(none)"}: choose from ${known.join(", ")}`);
  }
  return names as ProfileChoice[];
}

/** Shorthands for check definitions. */
export const ROSTERING: readonly Profile[] = ["rostering-core", "rostering"];
export const READ_PROFILES: readonly Profile[] = ["rostering-core", "rostering", "resources", "gradebook"];
