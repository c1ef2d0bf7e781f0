// Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: self and inclusive time per function,
// and self time per module (our files by path, dependencies by package). Used by `bench --profile`.
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface TimeShare {
  name: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Time not idle: everything but `(idle)`. */
  busyMs: number;
  selfByFunction: TimeShare[];
  inclusiveByFunction: TimeShare[];
  selfByModule: TimeShare[];
  /** Each busy sample given to the innermost frame that names a concern; adds up to 100 %. */
  byConcern: TimeShare[];
}

/** Concerns checked on each frame from the leaf upward; the first match takes the sample. */
const CONCERNS: { name: string; match: (frame: CallFrame, mod: string) => boolean }[] = [
  { name: "garbage collection", match: (f) => f.functionName === "(garbage collector)" },
  { name: "PGlite engine (wasm)", match: (f, m) => m === "@electric-sql/pglite" || f.url.startsWith("wasm://") },
  { name: "JWT verify (jose, WebCrypto)", match: (_f, m) => m === "jose" || m === "node:internal/crypto" },
  { name: "zod", match: (_f, m) => m === "zod" },
  { name: "presenters (server/present)", match: (_f, m) => m.startsWith("server/present/") },
  {
    name: "drizzle result mapping",
    match: (f, m) => m === "drizzle-orm" && /mapResultRow|mapFromDriverValue|mapColumnValue/.test(f.functionName),
  },
  // Other drizzle frames under mapResultRow are moved to "result mapping" below.
  { name: "drizzle query building", match: (_f, m) => m === "drizzle-orm" },
  { name: "postgres.js (wire protocol, row parsing)", match: (_f, m) => m === "postgres" },
  { name: "JSON.stringify (hono c.json)", match: (f, m) => m === "hono" && f.functionName === "json" },
  { name: "query parse, to-sql, paging headers", match: (_f, m) => m.startsWith("server/query/") },
  { name: "other server code", match: (_f, m) => m.startsWith("server/") || m.startsWith("oneroster/") },
  {
    name: "socket and HTTP I/O (node)",
    match: (f, m) =>
      /^(writev|writeBuffer|writeUtf8String|writeLatin1String)$/.test(f.functionName) ||
      /^node:(net|_http_|internal\/stream|internal\/streams|internal\/stream_base_commons)/.test(m),
  },
  { name: "hono + @hono/node-server", match: (_f, m) => m === "hono" || m === "@hono/node-server" },
];

/** `hono`, `drizzle-orm`, `server/repo/records.ts`, `node:internal/http`... for a call frame's url. */
export function moduleOf(url: string): string {
  if (url === "") {
    return "(native / V8)";
  }
  const nm = url.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "/node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith("node:")) {
    return url.split("/").slice(0, 2).join("/");
  }
  const ours = url.match(/\/(server|oneroster|seed|bench)\/(.*)$/);
  return ours ? `${ours[1]}/${ours[2]}` : url.replace(/^file:\/\//, "");
}

function label(frame: CallFrame): string {
  const fn = frame.functionName || "(anonymous)";
  if (frame.url === "") {
    return fn;
  }
  return `${fn} ${moduleOf(frame.url)}:${frame.lineNumber + 1}`;
}

function shares(map: Map<string, number>, totalMs: number, top: number): TimeShare[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({
      name,
      ms: Math.round(us / 1000),
      percent: totalMs > 0 ? Number(((us / 1000 / totalMs) * 100).toFixed(1)) : 0,
    }));
}

export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) {
      parent.set(child, node.id);
    }
  }
  const selfFn = new Map<string, number>();
  const inclFn = new Map<string, number>();
  const selfMod = new Map<string, number>();
  const concern = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (!node) {
      return;
    }
    totalUs += dt;
    if (node.callFrame.functionName === "(idle)") {
      idleUs += dt;
      return;
    }
    const self = label(node.callFrame);
    selfFn.set(self, (selfFn.get(self) ?? 0) + dt);
    const mod = moduleOf(node.callFrame.url);
    selfMod.set(mod, (selfMod.get(mod) ?? 0) + dt);
    const seen = new Set<string>();
    let assigned: string | undefined;
    let underMapping = false;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame || frame.functionName === "(root)") {
        continue;
      }
      if (assigned === undefined) {
        const frameModule = moduleOf(frame.url);
        assigned = CONCERNS.find((c) => c.match(frame, frameModule))?.name;
      }
      if (frame.functionName === "mapResultRow") {
        underMapping = true;
      }
      const name = label(frame);
      if (!seen.has(name)) {
        seen.add(name);
        inclFn.set(name, (inclFn.get(name) ?? 0) + dt);
      }
    }
    const bucket =
      assigned === "drizzle query building" && underMapping
        ? "drizzle result mapping"
        : (assigned ?? "other (node internals, runtime)");
    concern.set(bucket, (concern.get(bucket) ?? 0) + dt);
  });
  const busyMs = (totalUs - idleUs) / 1000;
  return {
    totalMs: Math.round(totalUs / 1000),
    busyMs: Math.round(busyMs),
    selfByFunction: shares(selfFn, busyMs, top),
    inclusiveByFunction: shares(inclFn, busyMs, top),
    selfByModule: shares(selfMod, busyMs, top),
    byConcern: shares(concern, busyMs, CONCERNS.length + 1),
  };
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
}

export function renderProfile(summary: ProfileSummary): string {
  const block = (title: string, rows: TimeShare[]) =>
    [
      title,
      ...rows.map((r) => `  ${r.percent.toFixed(1).padStart(5)}%  ${String(r.ms).padStart(7)} ms  ${r.name}`),
    ].join("\n");
  return [
    `busy ${summary.busyMs} ms of ${summary.totalMs} ms sampled (percentages are of busy time)`,
    block("by concern (innermost match, adds up to 100%):", summary.byConcern),
    block("self time by module:", summary.selfByModule),
    block("self time by function:", summary.selfByFunction),
    block("inclusive time by function:", summary.inclusiveByFunction),
  ].join("\n\n");
}

// `tsx bench/profile-summary.ts FILE.cpuprofile [top]` prints the summary of one profile.
if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write("usage: tsx bench/profile-summary.ts FILE.cpuprofile [top]\n");
    process.exit(2);
  }
  process.stdout.write(`${renderProfile(summarizeProfile(readProfile(file), Number(process.argv[3] ?? 25)))}\n`);
}
