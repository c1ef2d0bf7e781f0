// The consumer scorecard in the provider suite's three outputs: readable text (coloured on a TTY), JSON, and JUnit
// XML with one testcase per verdict whose failure carries the evidence.
import type { Builder } from "junit-report-builder";
import junitModule from "junit-report-builder";
import pc from "picocolors";
import type { ScenarioReport } from "./scenario.js";
import { levelOf, type Scorecard, type Verdict } from "./scorecard.js";

// CJS interop, as in ../report.ts.
const junit = ((junitModule as unknown as { default?: Builder }).default ?? junitModule) as unknown as Builder;

const SHOWN_EVIDENCE = 5;

function evidenceLine(e: Verdict["evidence"][number]): string {
  if (e.method === "STEP") {
    // A scenario step (see roster.ts): its name, the command's exit status and what was wrong.
    return `${e.at} step "${e.path}" (exit ${e.status}): ${e.note ?? ""}`;
  }
  return `${e.at} ${e.method} ${e.path}${e.query ? `?${e.query}` : ""} → ${e.status}${e.note ? `  (${e.note})` : ""}`;
}

export function formatConsumerText(card: Scorecard, options: { color: boolean }): string {
  const paint = pc.createColors(options.color);
  const window = `${card.since ?? "the beginning"} to ${card.until ?? "now"}`;
  const lines = [
    paint.bold(`rosterlab consumer scorecard: client ${card.clientId}`) +
      paint.dim(` (${window}, ${card.requests} requests)`),
    "",
  ];
  for (const v of card.verdicts) {
    const mark =
      v.outcome === "pass"
        ? paint.green("✓")
        : v.outcome === "fail"
          ? levelOf(v) === "MUST"
            ? paint.red("✗")
            : paint.yellow("✗")
          : paint.dim("-");
    lines.push(`  ${mark} ${paint.bold(v.id)} ${v.title} ${paint.dim(`(${v.section})`)}`);
    lines.push(paint.dim(`      ${v.summary}`));
    if (v.outcome === "fail") {
      for (const e of v.evidence.slice(0, SHOWN_EVIDENCE)) {
        lines.push(`      ${evidenceLine(e)}`);
      }
      if (v.evidence.length > SHOWN_EVIDENCE) {
        lines.push(paint.dim(`      … ${v.evidence.length - SHOWN_EVIDENCE} more (see --json)`));
      }
    }
  }
  const mustFailed = card.verdicts.filter((v) => v.outcome === "fail" && levelOf(v) === "MUST").length;
  const shouldFailed = card.verdicts.filter((v) => v.outcome === "fail" && levelOf(v) !== "MUST").length;
  lines.push(
    "",
    `  ${card.summary.pass ?? 0} passed, ${card.summary.fail ?? 0} failed, ${card.summary["not-applicable"] ?? 0} not applicable. ` +
      (mustFailed > 0
        ? paint.red(`FAIL: ${mustFailed} MUST verdict(s) failed`)
        : shouldFailed > 0
          ? paint.yellow(`PASS with ${shouldFailed} SHOULD verdict(s) failed`)
          : paint.green("PASS: every verdict that applies passed")),
  );
  return `${lines.join("\n")}\n`;
}

export function formatConsumerJson(card: Scorecard): string {
  return `${JSON.stringify(card, null, 2)}\n`;
}

export function formatConsumerJUnit(card: Scorecard): string {
  const builder = junit.newBuilder();
  builder.name(`rosterlab consumer scorecard ${card.clientId}`);
  const suite = builder.testSuite().name("consumer.scorecard");
  for (const v of card.verdicts) {
    const tc = suite
      .testCase()
      .className("consumer.scorecard")
      .name(`${v.id} ${v.title}`)
      .property("level", levelOf(v))
      .property("section", v.section);
    if (v.outcome === "fail") {
      tc.failure(v.summary, levelOf(v)).stacktrace(v.evidence.map(evidenceLine).join("\n"));
    } else if (v.outcome === "not-applicable") {
      tc.skipped();
    }
  }
  return builder.build();
}

/** A scenario: its steps (what the provider did, how the command ended), then the combined card. */
export function formatScenarioText(report: ScenarioReport, options: { color: boolean }): string {
  const paint = pc.createColors(options.color);
  const lines = [paint.bold("rosterlab consumer scenario"), ""];
  for (const step of report.steps) {
    const ended = step.timedOut
      ? paint.red("timed out")
      : step.exitCode === 0
        ? paint.green("exit 0")
        : paint.yellow(`exit ${step.exitCode}`);
    lines.push(`  ${paint.bold(step.name)}: ${step.change}`);
    lines.push(
      `      sync command ${ended} after ${step.ms} ms${step.exportError ? paint.red(`; export unreadable: ${step.exportError}`) : ""}`,
    );
  }
  return `${lines.join("\n")}\n\n${formatConsumerText(report.card, options)}`;
}
