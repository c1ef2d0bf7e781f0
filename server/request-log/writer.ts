// The request log's writer and reader: rows are written in batches (a write never delays or fails a response, and
// a failed one is retried), old rows are pruned by age and by count, and reads first wait for this process's
// requests in flight and flush, so a client's last request is in the log when its operator looks.
import { and, desc, eq, getTableColumns, gte, lt, sql } from "drizzle-orm";
import { toSnakeCase } from "drizzle-orm/casing";
import { getTableConfig } from "drizzle-orm/pg-core";
import {
  arrayLiteral,
  arrayLiteralElement,
  type Db,
  type DirectStatement,
  runDirect,
  textArrayLiteral,
} from "../db/client.js";
import { requestLog } from "../db/schema.js";
import type { Clock } from "../deps.js";
import type { Logger } from "../log.js";

export interface RequestLogEntry {
  at: Date;
  requestId: string;
  clientId: string | null;
  method: string;
  path: string;
  query: string | null;
  operation: string | null;
  status: number;
  durationMs: number;
  bytes: number | null;
  total: number | null;
  retryAfterMs: number | null;
  faults: string[];
  findings: string[];
}

export interface RequestLogRow extends RequestLogEntry {
  id: number;
}

export interface RequestLogFilter {
  clientId?: string;
  since?: Date;
  until?: Date;
  status?: number;
  operation?: string;
  /** Rows with an id below this one (paging backwards); or above it with `order: "asc"`. */
  cursor?: number;
  order?: "asc" | "desc";
  limit?: number;
}

export interface RequestLogOptions {
  /** Rows older than this are dropped. */
  retentionDays: number;
  /** At most this many rows are kept (the oldest go first). */
  maxRows: number;
}

export interface RequestLog {
  /** Marks a request as started; call the returned function with its row when it has been answered (or cut). */
  begin(): (entry: RequestLogEntry) => void;
  /** Waits (up to a few seconds) for requests in flight here, then writes every buffered row. */
  settle(): Promise<void>;
  list(filter: RequestLogFilter): Promise<RequestLogRow[]>;
  /** Drops rows past the retention bounds now; returns how many went. */
  prune(): Promise<number>;
  /** Deletes the rows a filter selects (client, until): an operator starting a fresh session. Returns how many. */
  clear(filter: { clientId?: string; until?: Date }): Promise<number>;
  /** Writes what is buffered and stops the timers. */
  close(): Promise<void>;
  /**
   * Tells the writer when the database may be written: while `available()` is false, rows stay buffered (within the
   * buffer bound) and no connection is opened, so a database outage's breaker is not undone by the log itself.
   */
  whenAvailable(available: () => boolean): void;
}

export const DEFAULT_REQUEST_LOG_OPTIONS: RequestLogOptions = { retentionDays: 7, maxRows: 1_000_000 };

const FLUSH_DELAY_MS = 100;
const FLUSH_ROWS = 200;
const PRUNE_EVERY_ROWS = 5000;
/** Most rows one prune deletes for each bound; any more go at the next prune. */
const PRUNE_MAX_ROWS = 20_000;
const PRUNE_EVERY_MS = 10_000;
const RETRY_MS = 1000;
const GIVE_UP_AFTER = 4;
const MAX_BUFFER = 20_000;
const SETTLE_MAX_MS = 5_000;
export const MAX_LIST = 1000;

/**
 * Every column a row sets (all but the id): its name in the database, quoted (the provider maps keys to snake_case),
 * and its type, with whether it is an array (text[]).
 */
const LOGGED = Object.entries(getTableColumns(requestLog))
  .filter(([key]) => key !== "id")
  .map(([key, column]) => {
    const type = column.getSQLType();
    return {
      key: key as keyof RequestLogEntry,
      name: `"${column.keyAsName ? toSnakeCase(column.name) : column.name}"`,
      type,
      isArray: type.endsWith("[]"),
    };
  });
const LOG_NAMES = LOGGED.map((c) => c.name).join(", ");
const LOG_TABLE = (() => {
  const { schema, name } = getTableConfig(requestLog);
  return `${schema ? `"${schema}".` : ""}"${name}"`;
})();

/**
 * One cell as an element of its column's array literal: NULL, a number or an ISO time as it is (neither can hold a
 * character the literal treats specially), a text quoted, a text[] as an array literal of its own, quoted.
 */
function arrayElement(value: unknown): string {
  if (value === null || value === undefined) {
    return "NULL";
  }
  if (typeof value === "number") {
    return Number.isFinite(value) ? String(value) : "NULL";
  }
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (Array.isArray(value)) {
    return arrayLiteralElement(textArrayLiteral(value.map(String)));
  }
  return arrayLiteralElement(String(value));
}

/**
 * A batch of rows as one prepared statement: each column travels as one array parameter (an array literal), which
 * unnest turns back into rows. An array column's cells are array literals in a text[] and are cast back per row.
 * Postgres reads this at a little over half the cost per row of the jsonb_to_recordset insert it replaced (5.4 against
 * 9.7 µs per row, 200-row batches, in psql on our machine), and the statement is parsed once per connection.
 */
const INSERT_BATCH: DirectStatement = {
  text:
    `INSERT INTO ${LOG_TABLE} (${LOG_NAMES}) ` +
    `SELECT ${LOGGED.map((c) => (c.isArray ? `v.${c.name}::${c.type}` : `v.${c.name}`)).join(", ")} ` +
    `FROM unnest(${LOGGED.map((c, i) => `$${i + 1}::${c.isArray ? "text" : c.type}[]`).join(", ")}) AS v(${LOG_NAMES})`,
  slots: LOGGED.map((c) => ({ name: c.key })),
};

function insertBatch(db: Db, rows: readonly RequestLogEntry[]) {
  const columns: Record<string, string> = {};
  for (const c of LOGGED) {
    columns[c.key] = arrayLiteral(rows, (row) => arrayElement(row[c.key]));
  }
  return runDirect(db, INSERT_BATCH, columns);
}

/**
 * The prune as ONE prepared statement, no transaction: rows older than the cutoff, then rows below max(id) − keep (ids
 * come from one sequence, so that bounds the count; gaps only make it keep fewer), each at most PRUNE_MAX_ROWS a run.
 * Every 5000 rows or 10 s, and before reads. It was a transaction of four statements every 1000 rows, holding a pool
 * connection for its length; on the UNLOGGED log the change is within the noise of class-roster throughput
 * (`npm run bench:compare`), but a prune is now one round trip and never waits for a connection of its own.
 *
 * Each delete picks its ids by index, in index order, with a LIMIT, so neither can become a scan of the whole log
 * whatever the statistics say: a log that grows faster than autovacuum analyzes it once had statistics under which
 * `id <= $1` looked like a third of the table, and the planner chose a sequential scan to delete a few rows. A row both
 * old and over the count is deleted (and counted) once: a row the statement has already deleted is skipped.
 */
const PRUNE: DirectStatement = {
  text:
    `with old as (delete from ${LOG_TABLE} where "id" = any(array(select "id" from ${LOG_TABLE} ` +
    `where "at" < $1::timestamptz order by "at" limit ${PRUNE_MAX_ROWS})) returning 1), ` +
    `over as (delete from ${LOG_TABLE} where "id" = any(array(select "id" from ${LOG_TABLE} ` +
    `where "id" <= (select max("id") from ${LOG_TABLE}) - $2::int8 ` +
    `order by "id" limit ${PRUNE_MAX_ROWS})) returning 1) ` +
    "select ((select count(*) from old) + (select count(*) from over))::int",
  slots: [{ name: "cutoff" }, { name: "keep" }],
};

export function createRequestLog(
  db: Db,
  clock: Clock,
  log: Logger,
  options: RequestLogOptions = DEFAULT_REQUEST_LOG_OPTIONS,
): RequestLog {
  let buffer: RequestLogEntry[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let writing: Promise<void> = Promise.resolve();
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let sincePrune = 0;
  let lastPrune = Number.NEGATIVE_INFINITY;
  let nextTicket = 0;
  const inFlight = new Set<number>();
  const waiters = new Set<() => void>();
  let available: () => boolean = () => true;

  /** Deletes rows past the age and count bounds now (PRUNE); returns how many went. */
  const prune = async (): Promise<number> => {
    const cutoff = new Date(clock.now().getTime() - options.retentionDays * 86_400_000);
    const [row] = await runDirect(db, PRUNE, { cutoff: cutoff.toISOString(), keep: String(options.maxRows) });
    return Number(row?.[0] ?? 0);
  };

  const flush = (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (retry) {
      clearTimeout(retry);
      retry = undefined;
    }
    if (!available()) {
      // The database is down (the breaker is open): keep the rows and look again later, without a connection.
      if (buffer.length > MAX_BUFFER) {
        buffer = buffer.slice(-MAX_BUFFER);
      }
      retry = setTimeout(() => void flush(), RETRY_MS);
      retry.unref?.();
      return writing;
    }
    const rows = buffer;
    buffer = [];
    writing = writing.then(async () => {
      // Looked at again when the write's turn comes: the breaker may have opened while earlier writes waited.
      if (!available()) {
        buffer = [...rows, ...buffer].slice(-MAX_BUFFER);
        retry ??= setTimeout(() => {
          retry = undefined;
          void flush();
        }, RETRY_MS);
        retry.unref?.();
        return;
      }
      try {
        if (rows.length > 0) {
          await insertBatch(db, rows);
          failures = 0;
          sincePrune += rows.length;
          if (sincePrune >= PRUNE_EVERY_ROWS || performance.now() - lastPrune >= PRUNE_EVERY_MS) {
            sincePrune = 0;
            lastPrune = performance.now();
            await prune();
          }
        }
      } catch (error) {
        // The log must never break serving. A failed write is retried with the next ones (a database that blips
        // loses nothing); after several failures in a row, or past the buffer bound, rows are dropped and reported.
        failures += 1;
        if (failures < GIVE_UP_AFTER && buffer.length + rows.length <= MAX_BUFFER) {
          buffer = [...rows, ...buffer];
          retry = setTimeout(() => void flush(), RETRY_MS * failures);
          retry.unref?.();
        } else {
          failures = 0;
          log.error("request log write failed; rows dropped", {
            rows: rows.length,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    });
    return writing;
  };

  const settled = () => {
    for (const wake of waiters) {
      wake();
    }
  };

  return {
    whenAvailable(fn) {
      available = fn;
    },
    begin() {
      const ticket = nextTicket++;
      inFlight.add(ticket);
      return (entry) => {
        inFlight.delete(ticket);
        buffer.push(entry);
        if (buffer.length >= FLUSH_ROWS) {
          void flush();
        } else if (!timer) {
          timer = setTimeout(() => void flush(), FLUSH_DELAY_MS);
          timer.unref?.();
        }
        settled();
      };
    },
    async settle() {
      const waitFor = new Set(inFlight);
      const deadline = performance.now() + SETTLE_MAX_MS;
      while ([...waitFor].some((t) => inFlight.has(t)) && performance.now() < deadline) {
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            resolve();
          };
          waiters.add(wake);
          setTimeout(wake, 50).unref?.();
        });
      }
      await flush();
    },
    async list(filter) {
      // Reads never show rows past the retention bounds.
      await prune();
      const conditions = [];
      if (filter.clientId !== undefined) {
        conditions.push(eq(requestLog.clientId, filter.clientId));
      }
      if (filter.since) {
        conditions.push(gte(requestLog.at, filter.since));
      }
      if (filter.until) {
        conditions.push(lt(requestLog.at, filter.until));
      }
      if (filter.status !== undefined) {
        conditions.push(eq(requestLog.status, filter.status));
      }
      if (filter.operation !== undefined) {
        conditions.push(eq(requestLog.operation, filter.operation));
      }
      const asc = filter.order === "asc";
      if (filter.cursor !== undefined) {
        conditions.push(asc ? sql`${requestLog.id} > ${filter.cursor}` : sql`${requestLog.id} < ${filter.cursor}`);
      }
      const rows = await db
        .select()
        .from(requestLog)
        .where(conditions.length > 0 ? and(...conditions) : undefined)
        .orderBy(asc ? requestLog.id : desc(requestLog.id))
        .limit(Math.min(filter.limit ?? 100, MAX_LIST));
      return rows as RequestLogRow[];
    },
    prune: async () => {
      await writing;
      return prune();
    },
    async clear(filter) {
      await flush();
      const conditions = [];
      if (filter.clientId !== undefined) {
        conditions.push(eq(requestLog.clientId, filter.clientId));
      }
      if (filter.until) {
        conditions.push(lt(requestLog.at, filter.until));
      }
      const gone = await db
        .delete(requestLog)
        .where(conditions.length > 0 ? and(...conditions) : undefined)
        .returning({ id: requestLog.id });
      return gone.length;
    },
    async close() {
      await flush();
    },
  };
}
