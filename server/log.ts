// A minimal structured logger: one JSON line per event on stderr. Callers pass ids and counts, never tokens,
// secrets or student records.
export type LogLevel = "silent" | "error" | "info" | "debug";
export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

const RANK: Record<LogLevel, number> = { silent: 0, error: 1, info: 2, debug: 3 };

export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Logger {
  const emit = (at: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[at] <= RANK[level]) {
      write(JSON.stringify({ t: new Date().toISOString(), level: at, msg, ...fields }));
    }
  };
  return {
    info: (m, f) => emit("info", m, f),
    error: (m, f) => emit("error", m, f),
    debug: (m, f) => emit("debug", m, f),
  };
}

/**
 * An error as log fields, without the values it was about: drizzle's "Failed query … params: …" keeps only the SQL
 * text (parameters never reach a log), and driver messages lose their quoted values (`"2026-02-30"` → `"…"`) and
 * their detail lines. The stack stays, for errors our own code threw.
 */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) {
    return { error: redactValues(String(error)) };
  }
  const fields: Record<string, unknown> = {};
  const query = (error as { query?: unknown }).query;
  const cause = (error as { cause?: unknown }).cause;
  if (typeof query === "string" && "params" in error) {
    fields.error = `${error.name}: failed query`;
    fields.query = query;
    if (cause instanceof Error) {
      fields.cause = `${cause.name}: ${redactValues(cause.message.split("\n")[0] ?? "")}`;
      const code = (cause as { code?: unknown }).code;
      if (typeof code === "string") {
        fields.code = code;
      }
    }
    return fields;
  }
  fields.error = `${error.name}: ${redactValues(error.message.split("\n")[0] ?? "")}`;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    fields.code = code;
  }
  if (error.stack) {
    fields.stack = error.stack
      .split("\n")
      .filter((l) => /^\s+at /.test(l))
      .join("\n");
  }
  return fields;
}

/** Replaces quoted values and `(key)=(value)` details in a message with an ellipsis. */
function redactValues(message: string): string {
  return message
    .replace(/"[^"]*"/g, '"…"')
    .replace(/'[^']*'/g, "'…'")
    .replace(/\([^)]*\)=\([^)]*\)/g, "(…)=(…)");
}
