// Load progress for the CLI: a cli-progress bar on a terminal, plain lines otherwise (CI logs, pipes).
// Silent when asked. seed/ only.
import { SingleBar } from "cli-progress";
import type { LoadProgress, ProgressFn } from "./load.js";

export interface ProgressReporter {
  update: ProgressFn;
  stop(): void;
}

export function createProgressReporter(
  stream: { write(text: string): unknown; isTTY?: boolean } = process.stderr,
  mode: "auto" | "bar" | "lines" | "silent" = "auto",
): ProgressReporter {
  const kind = mode === "auto" ? (stream.isTTY ? "bar" : "lines") : mode;
  if (kind === "silent") {
    return { update: () => {}, stop: () => {} };
  }
  if (kind === "lines") {
    return {
      update: (p: LoadProgress) => {
        stream.write(`seed: ${p.done}/${p.total} ${p.label} (${p.rows} rows)\n`);
      },
      stop: () => {},
    };
  }
  const bar = new SingleBar({
    stream: stream as NodeJS.WritableStream,
    format: "seeding [{bar}] {value}/{total} schools | {rows} rows | {label}",
    hideCursor: true,
  });
  let started = false;
  return {
    update: (p: LoadProgress) => {
      if (!started) {
        bar.start(p.total, 0, { rows: 0, label: "" });
        started = true;
      }
      bar.update(p.done, { rows: p.rows, label: p.label });
    },
    stop: () => {
      if (started) {
        bar.stop();
      }
    },
  };
}
