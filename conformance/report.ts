// Renders a Report: console text that leads with root causes and operation coverage, then every check grouped by
// area, then a summary by level (coloured only on a TTY); JSON with every finding; JUnit XML with one testcase per
// check whose failures agree with the exit code (junit-report-builder).
import type { Builder } from "junit-report-builder";
import junitModule from "junit-report-builder";
import pc from "picocolors";
import { AREAS, type Level } from "./check.js";
import type { Exchange } from "./context.js";
import { type CheckResult, failingLevels, type Report } from "./run.js";

// CJS interop: at runtime the default import is the builder itself, while its d.ts declares `export default`.
const junit = ((junitModule as unknown as { default?: Builder }).default ?? junitModule) as unknown as Builder;

const LEVELS: Level[] = ["MUST", "SHOULD", "MAY"];
const SHOWN_PROBLEMS = 5;
const SHOWN_BODY = 400;

type Paint = ReturnType<typeof pc.createColors>;

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((l) => `${prefix}${l}`)
    .join("\n");
}

/** The request line, the response status and headers, and the start of the body. */
export function describeExchange(ex: Exchange): string {
  const lines = [`→ ${ex.request.method} ${ex.request.url}`];
  if (ex.request.body !== undefined) {
    lines.push(`  body: ${ex.request.body.slice(0, SHOWN_BODY)}`);
  }
  if (ex.response) {
    const headers = Object.entries(ex.response.headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join("; ");
    lines.push(`← ${ex.response.status}${headers ? ` ${headers}` : ""}`);
    if (ex.response.body) {
      const body =
        ex.response.body.length > SHOWN_BODY ? `${ex.response.body.slice(0, SHOWN_BODY)}…` : ex.response.body;
      lines.push(`  ${body}`);
    }
  } else if (ex.error) {
    lines.push(`← no answer: ${ex.error}`);
  }
  return lines.join("\n");
}

function statusMark(r: CheckResult, paint: Paint): string {
  switch (r.status) {
    case "pass":
      return r.partial ? paint.yellow("✓") : paint.green("✓");
    case "fail":
      return r.level === "MUST" ? paint.red("✗") : paint.yellow("✗");
    case "skip":
      return paint.dim("-");
    case "blocked":
      return paint.dim("◌");
    default:
      return paint.magenta("!");
  }
}

function renderResult(r: CheckResult, paint: Paint): string {
  const head = `  ${statusMark(r, paint)} ${paint.bold(r.id)} ${r.title} ${paint.dim(`(${r.section})`)}`;
  const out = [head];
  if (r.status === "skip" && r.message) {
    out.push(paint.dim(`      skipped: ${r.message}`));
  }
  if (r.status === "blocked" && r.message) {
    out.push(paint.dim(indent(r.message, "      ")));
  }
  if (r.partial) {
    out.push(paint.yellow(`      passed only in part; not exercised (${r.partial.length}):`));
    for (const p of r.partial.slice(0, SHOWN_PROBLEMS * 2)) {
      out.push(paint.yellow(`        ${p}`));
    }
    if (r.partial.length > SHOWN_PROBLEMS * 2) {
      out.push(paint.yellow(`        … and ${r.partial.length - SHOWN_PROBLEMS * 2} more (see --json)`));
    }
  }
  if (r.status === "error" && r.message) {
    out.push(paint.magenta(indent(r.message, "      ")));
  }
  if (r.status === "fail") {
    const problems = r.problems ?? [];
    let previous: Exchange | undefined;
    for (const p of problems.slice(0, SHOWN_PROBLEMS)) {
      out.push(indent(p.message, "      "));
      if (p.exchange && p.exchange === previous) {
        out.push(paint.dim("        (same exchange as above)"));
      } else if (p.exchange) {
        out.push(paint.dim(indent(describeExchange(p.exchange), "        ")));
      }
      previous = p.exchange;
      if (p.proof !== undefined) {
        out.push(paint.cyan(indent(`proof: ${JSON.stringify(p.proof).slice(0, SHOWN_BODY * 2)}`, "        ")));
      }
    }
    if (problems.length > SHOWN_PROBLEMS) {
      out.push(paint.dim(`      … and ${problems.length - SHOWN_PROBLEMS} more problem(s) (see --json)`));
    }
  }
  for (const note of r.notes ?? []) {
    out.push(paint.dim(`      note: ${note}`));
  }
  return out.join("\n");
}

/** The readable report. `color` true only when writing to a TTY. */
export function formatText(report: Report, options: { color: boolean }): string {
  const paint = pc.createColors(options.color);
  const lines: string[] = [];
  lines.push(
    paint.bold(`rosterlab conformance: ${report.target.baseUrl}`) +
      paint.dim(
        ` (profile ${report.profile}, ${report.lenient ? "lenient" : "strict"}, booleans ${report.booleans}, writes ${report.allowWrites ? "on" : "off"}, run ${report.runId})`,
      ),
  );
  for (const note of report.notes) {
    lines.push(paint.yellow(`note: ${note}`));
  }
  if (report.preflightFailure) {
    const f = report.preflightFailure;
    lines.push("", paint.red(paint.bold(`ABORTED before any check ran (preflight, ${f.stage}): ${f.message}`)));
    if (f.exchange) {
      lines.push(paint.dim(indent(describeExchange(f.exchange), "  ")));
    }
    return `${lines.join("\n")}\n`;
  }
  lines.push("", ...rootCauseLines(report, paint), ...coverageLines(report, paint));
  for (const area of AREAS) {
    const inArea = report.results.filter((r) => r.area === area);
    if (inArea.length === 0) {
      continue;
    }
    lines.push("", paint.underline(area));
    for (const r of inArea) {
      lines.push(renderResult(r, paint));
    }
  }
  lines.push("", paint.bold("Summary"));
  for (const level of LEVELS) {
    const s = report.summary[level];
    const total = s.pass + s.fail + s.skip + s.blocked + s.error;
    if (total === 0) {
      continue;
    }
    const failed =
      s.fail > 0
        ? level === "MUST"
          ? paint.red(`${s.fail} failed`)
          : paint.yellow(`${s.fail} failed`)
        : `${s.fail} failed`;
    const partial = report.results.filter((r) => r.level === level && r.partial).length;
    lines.push(
      `  ${level.padEnd(6)} ${paint.green(`${s.pass} passed`)}${partial ? paint.yellow(` (${partial} only in part)`) : ""}, ${failed}, ${s.blocked} blocked, ${s.skip} skipped${s.error ? paint.magenta(`, ${s.error} suite errors`) : ""}`,
    );
  }
  if (report.cleanupFailures.length > 0) {
    lines.push(paint.red(`  cleanup: ${report.cleanupFailures.length} written object(s) could not be removed:`));
    for (const c of report.cleanupFailures) {
      lines.push(paint.red(`    ${c}`));
    }
  }
  const c = report.coverage;
  lines.push(
    `  ${c.exercised.length} of ${c.total} operations exercised${c.missed.length > 0 ? paint.yellow(`, ${c.missed.length} of the selected profiles not (listed above)`) : ""}`,
  );
  const mustFailures = report.summary.MUST.fail;
  const verdict =
    mustFailures > 0
      ? paint.red(`FAIL: ${mustFailures} MUST check(s) failed`)
      : paint.green("PASS: every MUST check passed");
  lines.push(
    `  ${report.results.length} checks, ${report.requestCount} requests, ${(report.durationMs / 1000).toFixed(1)} s. ${verdict}`,
  );
  return `${lines.join("\n")}\n`;
}

/** "2 defects, 15 checks affected" and one line per failed check with what it blocked. */
function rootCauseLines(report: Report, paint: Paint): string[] {
  const causes = report.rootCauses;
  if (causes.length === 0) {
    const blocked = report.results.filter((r) => r.status === "blocked").length;
    return [paint.green(`Root causes: no defect found${blocked ? ` (${blocked} checks blocked)` : ""}`)];
  }
  const affected = causes.reduce((n, c) => n + 1 + c.blocks.length, 0);
  const byLevel = (["MUST", "SHOULD", "MAY"] as const)
    .map((l) => [l, causes.filter((c) => c.level === l).length] as const)
    .filter(([, n]) => n > 0)
    .map(([l, n]) => `${n} ${l}`)
    .join(", ");
  const lines = [
    paint.bold(
      `Root causes: ${causes.length} defect${causes.length === 1 ? "" : "s"} (${byLevel}), ${affected} check${affected === 1 ? "" : "s"} affected`,
    ),
  ];
  for (const c of causes) {
    const mark = c.level === "MUST" ? paint.red("✗") : paint.yellow("✗");
    const blocks = c.blocks.length > 0 ? paint.dim(` — blocks ${c.blocks.length}: ${c.blocks.join(", ")}`) : "";
    lines.push(`  ${mark} ${c.id} ${c.title}${blocks}`);
  }
  return lines;
}

/** "Operations exercised: 43 of 62" and the ones that were not, with why. */
function coverageLines(report: Report, paint: Paint): string[] {
  const c = report.coverage;
  const inProfile = c.selected === c.total ? "" : ` (${c.selected} in the selected profiles)`;
  const head = `Operations exercised (answered 2xx): ${c.exercised.length} of ${c.total}${inProfile}`;
  if (c.missed.length === 0) {
    return [paint.green(head)];
  }
  const lines = [paint.yellow(`${head}; not exercised: ${c.missed.length}`)];
  for (const m of c.missed) {
    lines.push(paint.yellow(`  - ${m.operationId}: ${m.reason}`));
  }
  return lines;
}

/** The JSON report: every result with its problems and exchanges. */
export function formatJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** Replaces characters XML 1.0 cannot carry (a provider may echo a NUL or other control bytes back). */
function xmlSafe(text: string): string {
  let out = "";
  // for…of walks code points, so a valid surrogate pair stays whole and a lone surrogate is caught.
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    const allowed =
      c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || c >= 0x10000;
    out += allowed ? ch : "\uFFFD";
  }
  return out;
}

/** How a check's problems read in a JUnit body. */
function problemDetail(r: CheckResult): string {
  return (r.problems ?? [])
    .map((p) =>
      [
        p.message,
        p.exchange ? describeExchange(p.exchange) : "",
        p.proof !== undefined ? `proof: ${JSON.stringify(p.proof)}` : "",
      ]
        .filter(Boolean)
        .join("\n"),
    )
    .join("\n\n");
}

/**
 * JUnit XML: one testsuite per area, one testcase per check, agreeing with the exit code: only a failure at a level
 * `failOn` counts is a <failure>; a SHOULD or MAY finding below it is <skipped/> with a `finding` property and the
 * problems in system-out; a blocked check is <skipped/> with a `blocked-by` property. A preflight abort is one <error>.
 */
export function formatJUnit(report: Report, options: { failOn?: "must" | "should" } = {}): string {
  const failing = failingLevels(options.failOn);
  const builder = junit.newBuilder();
  builder.name(xmlSafe(`rosterlab conformance ${report.target.baseUrl}`));
  if (report.preflightFailure) {
    const f = report.preflightFailure;
    builder
      .testSuite()
      .name("conformance.preflight")
      .timestamp(report.startedAt)
      .testCase()
      .className("conformance.preflight")
      .name(`preflight ${f.stage}`)
      .error(xmlSafe(f.message), "PreflightFailed")
      .standardOutput(xmlSafe(f.exchange ? describeExchange(f.exchange) : f.message));
    return builder.build();
  }
  for (const area of AREAS) {
    const inArea = report.results.filter((r) => r.area === area);
    if (inArea.length === 0) {
      continue;
    }
    const suite = builder.testSuite().name(`conformance.${area}`).timestamp(report.startedAt);
    for (const r of inArea) {
      const tc = suite
        .testCase()
        .className(`conformance.${area}`)
        .name(`${r.id} ${r.title}`)
        .time(r.durationMs / 1000)
        .property("level", r.level)
        .property("section", r.section);
      const out: string[] = [];
      if (r.status === "fail" && failing.includes(r.level)) {
        tc.failure(xmlSafe(r.message ?? "failed"), r.level).stacktrace(xmlSafe(problemDetail(r)));
      } else if (r.status === "fail") {
        tc.skipped().property("finding", `${r.level} not met`);
        out.push(`${r.level} not met (not failing under --fail-on ${options.failOn ?? "must"}): ${r.message ?? ""}`);
        out.push(problemDetail(r));
      } else if (r.status === "blocked") {
        tc.skipped().property("blocked-by", r.blockedBy ?? "");
        out.push(r.message ?? "blocked");
      } else if (r.status === "error") {
        tc.error(xmlSafe(r.message ?? "suite error"), "SuiteBug");
      } else if (r.status === "skip") {
        tc.skipped();
        out.push(`skipped: ${r.message ?? ""}`);
      }
      if (r.partial) {
        tc.property("partial", String(r.partial.length));
        out.push(`passed only in part; not exercised:\n${r.partial.join("\n")}`);
      }
      out.push(...(r.notes ?? []));
      if (out.length > 0) {
        tc.standardOutput(xmlSafe(out.filter(Boolean).join("\n")));
      }
    }
  }
  return builder.build();
}
