// Renders a Report: console text grouped by area with a summary by level (coloured only on a TTY), JSON with
// every finding, and JUnit XML with one testcase per check (junit-report-builder).
import type { Builder } from "junit-report-builder";
import junitModule from "junit-report-builder";
import pc from "picocolors";
import { AREAS, type Level } from "./check.js";
import type { Exchange } from "./context.js";
import type { CheckResult, Report } from "./run.js";

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
      return paint.green("✓");
    case "fail":
      return r.level === "MUST" ? paint.red("✗") : paint.yellow("✗");
    case "skip":
      return paint.dim("-");
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
    const total = s.pass + s.fail + s.skip + s.error;
    if (total === 0) {
      continue;
    }
    const failed =
      s.fail > 0
        ? level === "MUST"
          ? paint.red(`${s.fail} failed`)
          : paint.yellow(`${s.fail} failed`)
        : `${s.fail} failed`;
    lines.push(
      `  ${level.padEnd(6)} ${paint.green(`${s.pass} passed`)}, ${failed}, ${s.skip} skipped${s.error ? paint.magenta(`, ${s.error} suite errors`) : ""}`,
    );
  }
  if (report.cleanupFailures.length > 0) {
    lines.push(paint.red(`  cleanup: ${report.cleanupFailures.length} written object(s) could not be removed:`));
    for (const c of report.cleanupFailures) {
      lines.push(paint.red(`    ${c}`));
    }
  }
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

/** JUnit XML: one testsuite per area, one testcase per check; failures carry the problems and exchanges. */
export function formatJUnit(report: Report): string {
  const builder = junit.newBuilder();
  builder.name(xmlSafe(`rosterlab conformance ${report.target.baseUrl}`));
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
      if (r.status === "fail") {
        const detail = (r.problems ?? [])
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
        tc.failure(xmlSafe(r.message ?? "failed"), r.level).stacktrace(xmlSafe(detail));
      } else if (r.status === "error") {
        tc.error(xmlSafe(r.message ?? "suite error"), "SuiteBug");
      } else if (r.status === "skip") {
        tc.skipped();
        if (r.message) {
          tc.standardOutput(xmlSafe(`skipped: ${r.message}`));
        }
      }
      if (r.notes && r.notes.length > 0) {
        tc.standardOutput(xmlSafe(r.notes.join("\n")));
      }
    }
  }
  return builder.build();
}
