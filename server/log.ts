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
