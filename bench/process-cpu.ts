// CPU time a process has used so far (user + system), read from /proc/<pid>/stat on Linux; null elsewhere.
// The runner samples it around each load run to report the target's CPU cost per request, and the reads bench
// also samples every local `postgres` process, so a figure shows what a request costs the database too.
import { readdirSync, readFileSync } from "node:fs";

/** Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream kernel. */
const TICKS_PER_SECOND = 100;

/** Command name and user + system ms of one /proc/<pid>/stat, or null when it cannot be read. */
function readStat(pid: number | string): { comm: string; ms: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces; fields after it start past the last ')'.
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime)
      ? { comm, ms: ((utime + stime) * 1000) / TICKS_PER_SECOND }
      : null;
  } catch {
    return null;
  }
}

export function processCpuMs(pid: number): number | null {
  return readStat(pid)?.ms ?? null;
}

/**
 * CPU used so far by every process named `postgres` on this machine (server and backends), or null when there is
 * none or no /proc. Backends that exit between two samples take their time with them, so compare samples taken while
 * the same connections stay open (the benched servers keep their pools).
 */
export function postgresCpuMs(): number | null {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return null;
  }
  let total = 0;
  let found = false;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    const stat = readStat(entry);
    if (stat?.comm === "postgres") {
      total += stat.ms;
      found = true;
    }
  }
  return found ? total : null;
}
