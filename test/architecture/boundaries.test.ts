// The dependency rules of house-style §2.2, read from the import graph: every import/export-from/dynamic import of
// every .ts file outside node_modules is classified and checked (entry points, package allow-lists, drivers), and
// the sources are scanned for environment readers, reaches into driver internals and import cycles.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SKIP_DIRS = new Set(["node_modules", "dist", ".git", "coverage", "reports", ".rosterlab"]);

interface ImportEdge {
  /** Repo-relative posix path of the importing file. */
  from: string;
  /** The specifier as written. */
  specifier: string;
  /** Repo-relative target for relative specifiers (`.js` mapped to `.ts`), else undefined (a package). */
  target?: string;
  typeOnly: boolean;
}

function listTsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) {
        out.push(...listTsFiles(join(dir, entry.name)));
      }
    } else if (/\.(c|m)?tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) {
      out.push(join(dir, entry.name));
    }
  }
  return out;
}

const STATIC_FROM = /^[ \t]*(?:import|export)\s+(type\s+)?[^;=()]*?\bfrom\s*["']([^"']+)["']/gm;
const SIDE_EFFECT = /^[ \t]*import\s*["']([^"']+)["']/gm;
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** Every import edge of one file's source text. */
function parseImports(from: string, source: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  const add = (specifier: string, typeOnly: boolean) => {
    const target = specifier.startsWith(".")
      ? posix.normalize(posix.join(posix.dirname(from), specifier)).replace(/\.(c|m)?js$/, ".$1ts")
      : undefined;
    edges.push({ from, specifier, typeOnly, ...(target ? { target } : {}) });
  };
  for (const m of source.matchAll(STATIC_FROM)) {
    add(m[2] as string, m[1] !== undefined);
  }
  for (const m of source.matchAll(SIDE_EFFECT)) {
    add(m[1] as string, false);
  }
  for (const m of source.matchAll(DYNAMIC)) {
    add(m[1] as string, false);
  }
  return edges;
}

const top = (path: string) => (path.includes("/") ? (path.split("/")[0] as string) : "<root>");
const under = (path: string | undefined, ...prefixes: string[]) =>
  path !== undefined && prefixes.some((p) => (p.endsWith(".ts") ? path === p : path.startsWith(`${p}/`)));
const pkgName = (specifier: string) =>
  specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : (specifier.split("/")[0] as string);

/** The two public entry points of oneroster/: the vocabulary, and the client kit (house-style §2.1). */
const ONEROSTER_ENTRIES = ["oneroster/index.ts", "oneroster/client/index.ts"];

const DRIVER_SPECIFIERS = [
  /^postgres$/,
  /^@electric-sql\/pglite(\/|$)/,
  /^drizzle-orm\/pglite(\/|$)/,
  /^drizzle-orm\/postgres-js(\/|$)/,
];
const isDriver = (specifier: string) => DRIVER_SPECIFIERS.some((re) => re.test(specifier));
const MIGRATORS = new Set(["drizzle-orm/pglite/migrator", "drizzle-orm/postgres-js/migrator"]);
/** One driver switch per program (house-style §2.6.3): the provider's and the consumer's (its own store). */
const DRIVER_FILES = ["server/db/client.ts", "consumer/store/open.ts"];
/**
 * The consumer sync bench's ceiling is raw postgres.js COPY and page fetches without the engine, and the uncached-read
 * bench's ceiling is a hand-tuned server with one postgres.js statement per request: measuring the bare driver is
 * their job, so these bench files may name it (nothing imports them but bench/run.ts and its children).
 */
const BENCH_DRIVER_FILES = ["bench/sync-bench.ts", "bench/sync-process.ts", "bench/sql-ceiling-process.ts"];
/** Migration runners: the matching drizzle migrator, and type-only imports of the driver's database type. */
const MIGRATE_FILES = ["server/db/migrate.ts", "consumer/store/migrate.ts"];

/** Packages an area may import: any subpath of `packages`, exactly the `exact` specifiers, node: builtins if set. */
interface PackageList {
  packages: readonly string[];
  exact?: readonly string[];
  nodeBuiltins?: boolean;
}

const ALLOWED_PACKAGES = {
  onerosterCore: { packages: ["zod"] },
  onerosterClient: { packages: ["zod", "p-retry", "p-limit"] },
  // The consumer keeps its own Postgres schema through drizzle's core and pg-core; drivers only in its open.ts.
  consumer: {
    packages: ["zod", "commander", "picocolors", "cli-progress", "p-retry", "p-limit"],
    exact: ["drizzle-orm", "drizzle-orm/pg-core", "drizzle-orm/casing"],
    nodeBuiltins: true,
  },
  conformance: { packages: ["zod", "commander", "picocolors", "junit-report-builder"], nodeBuiltins: true },
} satisfies Record<string, PackageList>;

function packageAllowed(specifier: string, list: PackageList): boolean {
  if (specifier.startsWith("node:")) {
    return list.nodeBuiltins === true;
  }
  return list.packages.includes(pkgName(specifier)) || (list.exact ?? []).includes(specifier);
}

/** The rules of house-style §2.2 for one edge; returns every rule it breaks (none when it is fine). */
function checkEdge(edge: ImportEdge): string[] {
  const { from, target, specifier } = edge;
  const area = top(from);
  const isPackage = target === undefined;
  const broken: string[] = [];
  const rule = (text: string) => broken.push(text);

  if (under(target, "test") && area !== "test") {
    rule("§2.2.6 nothing outside test/ imports test/");
  }
  if (area !== "oneroster" && under(target, "oneroster") && !ONEROSTER_ENTRIES.includes(target as string)) {
    rule("§2.1 outside oneroster/, import it only through oneroster/index.ts or oneroster/client/index.ts");
  }
  if (isDriver(specifier) && !DRIVER_FILES.includes(from) && !BENCH_DRIVER_FILES.includes(from)) {
    const migratorUse =
      MIGRATE_FILES.includes(from) &&
      (MIGRATORS.has(specifier) || (edge.typeOnly && /^drizzle-orm\/(pglite|postgres-js)$/.test(specifier)));
    if (!migratorUse) {
      rule(
        "§2.2.7 only server/db/client.ts and consumer/store/open.ts name a driver (migrate files: migrators and their types)",
      );
    }
  }

  switch (area) {
    case "oneroster":
      if (under(from, "oneroster/client")) {
        const ok = isPackage
          ? packageAllowed(specifier, ALLOWED_PACKAGES.onerosterClient)
          : under(target, "oneroster/client") || target === "oneroster/index.ts";
        if (!ok) {
          rule("§2.2.1 oneroster/client/ imports zod, p-retry, p-limit, itself and oneroster/index.ts only");
        }
      } else {
        const ok = isPackage
          ? packageAllowed(specifier, ALLOWED_PACKAGES.onerosterCore)
          : under(target, "oneroster") && !under(target, "oneroster/client");
        if (!ok) {
          rule("§2.2.1 oneroster/ imports only zod and itself (never its client kit)");
        }
      }
      break;
    case "server":
      if (!isPackage && !under(target, "server", "oneroster")) {
        rule("§2.2.2 server/ imports oneroster/ and itself only");
      }
      if (under(target, "oneroster/client")) {
        rule("§2.2.2 server/ never imports the client kit (it needs no HTTP client)");
      }
      if (under(from, "server/repo", "server/query") && isPackage && /^(hono|@hono\/)/.test(specifier)) {
        rule("§2.2.7 server/repo and server/query never import hono");
      }
      if (
        under(from, "server/repo", "server/query", "server/present") &&
        under(target, "server/routes", "server/app.ts")
      ) {
        rule("§2.2.7 routes → query, repo, present: never the other way");
      }
      break;
    case "consumer":
      if (!isPackage && !under(target, "consumer", "oneroster")) {
        rule("§2.2.3 consumer/ imports oneroster/ and itself only (no server/, seed/, conformance/)");
      }
      // Driver specifiers are judged by the driver rule above (allowed in consumer/store/open.ts).
      if (isPackage && !isDriver(specifier) && !packageAllowed(specifier, ALLOWED_PACKAGES.consumer)) {
        rule(
          "§2.2.3 consumer/ packages: zod, commander, picocolors, cli-progress, drizzle-orm (core, pg-core, casing), p-retry, p-limit, node:",
        );
      }
      if (under(from, "consumer/client") && under(target, "consumer/store")) {
        rule("§2.2.8 consumer/client never touches the store");
      }
      break;
    case "conformance":
      if (!isPackage && !under(target, "conformance", "oneroster")) {
        rule("§2.2.4 conformance/ imports oneroster/ and itself only");
      }
      if (isPackage && !packageAllowed(specifier, ALLOWED_PACKAGES.conformance)) {
        rule(
          "§2.2.4 conformance/ packages: zod, commander, picocolors, junit-report-builder, node: (no drizzle, no driver)",
        );
      }
      break;
    case "seed":
      if (
        !isPackage &&
        !under(target, "seed", "oneroster", "server/db/schema.ts", "server/db/client.ts") &&
        !(edge.typeOnly && target === "server/deps.ts")
      ) {
        rule("§2.2.5 seed/ imports oneroster/, server/db/schema, server/db/client (and server/deps types)");
      }
      break;
    default:
      // bin/, bench/, test/ and root config files may import anything but test/, drivers and oneroster internals.
      break;
  }
  return broken;
}

/**
 * The files that read process.env, one per entry point (house-style §2.4: each entry point parses env once, and
 * everything else receives config as an argument). Each names the entry point it serves.
 */
const ENV_READERS: Record<string, string> = {
  "server/config.ts": "the provider (rosterlab serve, migrate)",
  "seed/cli.ts": "the seed and advance commands",
  "bin/rosterlab.ts": "the CLI: serve lays its --port/--host flags over the environment before server/config.ts",
  "consumer/config.ts": "the consumer (its profile and config file)",
  "conformance/config.ts": "the conformance command (ONEROSTER_* connection variables)",
  "bench/run.ts": "npm run bench (and the environment its child processes inherit)",
  "bench/seed-load.ts": "the seed-load bench when run alone with tsx",
  "bench/compare.ts": "npm run bench:compare (and the environment its child processes inherit)",
  "test/setup/env.ts": "the test run",
  "test/fixtures/careless-consumer.ts": "a stand-in for another team's consumer program, run by the scenario tests",
  "drizzle.config.ts": "drizzle-kit",
  "drizzle.lms.config.ts": "drizzle-kit, for the consumer's LMS store",
};

/** Whether a source reads the environment in code (comments are ignored). */
function readsEnv(source: string): boolean {
  return source.split("\n").some((line) => {
    const t = line.trim();
    if (t.startsWith("//") || t.startsWith("*") || t.startsWith("/*")) {
      return false;
    }
    return /\bprocess\s*(\.\s*env\b|\[\s*["'`]env["'`]\s*\])/.test(t) || /\{\s*env\s*[,}][^=]*=\s*process\b/.test(t);
  });
}

/** Files that read process.env without being their entry point's config file. */
function envReaderProblems(files: ReadonlyMap<string, string>): string[] {
  return [...files]
    .filter(([path, source]) => readsEnv(source) && !(path in ENV_READERS))
    .map(
      ([path]) =>
        `${path} reads the environment; only the config file of an entry point may (${Object.keys(ENV_READERS).join(", ")})`,
    );
}

/** Reaches into drizzle's private session or raw client, where only a driver file may look. */
function reachesIntoDriver(source: string): boolean {
  // A session typed as an object is the cast that reaches in; a session key holding a string is an ordinary literal.
  return /\bsession\??\.\s*client\b|\{\s*session\??\s*:\s*\{|\.\$client\b/.test(source);
}

/**
 * Import cycles over runtime edges, each as a path `a.ts → b.ts → a.ts`. Type-only imports are left out: with
 * verbatimModuleSyntax they are erased, so they cannot change module evaluation order, which is what a cycle breaks.
 */
function findCycles(edges: readonly ImportEdge[], files: ReadonlySet<string>): string[] {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    if (!e.typeOnly && e.target !== undefined && files.has(e.target)) {
      next.set(e.from, [...(next.get(e.from) ?? []), e.target]);
    }
  }
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const cycles: string[] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    stack.push(file);
    for (const to of next.get(file) ?? []) {
      if (state.get(to) === "open") {
        cycles.push([...stack.slice(stack.indexOf(to)), to].join(" → "));
      } else if (!state.has(to)) {
        visit(to);
      }
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of [...files].sort()) {
    if (!state.has(file)) {
      visit(file);
    }
  }
  return cycles;
}

function loadGraph(): { files: Map<string, string>; edges: ImportEdge[] } {
  const files = new Map<string, string>();
  for (const abs of listTsFiles(ROOT)) {
    files.set(relative(ROOT, abs).split("\\").join("/"), readFileSync(abs, "utf8"));
  }
  const edges = [...files].flatMap(([path, source]) => parseImports(path, source));
  return { files, edges };
}

describe("import parsing", () => {
  it("finds static, multi-line, type-only, re-export, side-effect and dynamic imports", () => {
    const source = [
      'import { a } from "./a.js";',
      "import {",
      "  b,",
      "  c,",
      '} from "../oneroster/index.js";',
      'import type { T } from "hono";',
      'export { d } from "./d.js";',
      'export * from "./e.js";',
      'import "./side.js";',
      // Spelled in two parts so this file's own scan does not read it as an import.
      `const m = await ${"import"}("../test/x.js");`,
      'const s = "not an import from \\"./nope.js\\"";',
    ].join("\n");
    const edges = parseImports("server/x.ts", source);
    expect(edges.map((e) => e.target ?? e.specifier)).toEqual([
      "server/a.ts",
      "oneroster/index.ts",
      "hono",
      "server/d.ts",
      "server/e.ts",
      "server/side.ts",
      "test/x.ts",
    ]);
    expect(edges.find((e) => e.specifier === "hono")?.typeOnly).toBe(true);
  });
});

describe("the rules catch violations", () => {
  const edge = (from: string, specifier: string, typeOnly = false) => {
    const [parsed] = parseImports(from, `import${typeOnly ? " type" : ""} { x } from "${specifier}";`);
    return checkEdge(parsed as ImportEdge).join("\n");
  };

  it.each([
    ["oneroster/x.ts", "hono", "§2.2.1"],
    ["oneroster/x.ts", "../server/errors.js", "§2.2.1"],
    ["oneroster/x.ts", "p-retry", "§2.2.1"],
    ["oneroster/entities/x.ts", "../client/http.js", "§2.2.1"],
    ["oneroster/client/x.ts", "node:http", "§2.2.1"],
    ["oneroster/client/x.ts", "hono", "§2.2.1"],
    ["oneroster/client/x.ts", "../query.js", "§2.2.1"],
    ["server/x.ts", "../oneroster/query.js", "§2.1"],
    ["consumer/x.ts", "../oneroster/client/pages.js", "§2.1"],
    ["test/x.ts", "../oneroster/entities/user.js", "§2.1"],
    ["server/x.ts", "../seed/generate.js", "§2.2.2"],
    ["server/x.ts", "../consumer/main.js", "§2.2.2"],
    ["server/routes/x.ts", "../../conformance/run.js", "§2.2.2"],
    ["server/x.ts", "../oneroster/client/index.js", "§2.2.2"],
    ["consumer/x.ts", "../server/errors.js", "§2.2.3"],
    ["consumer/x.ts", "../seed/generate.js", "§2.2.3"],
    ["consumer/x.ts", "../conformance/run.js", "§2.2.3"],
    ["consumer/x.ts", "hono", "§2.2.3"],
    ["consumer/x.ts", "drizzle-orm/sqlite-core", "§2.2.3"],
    ["consumer/x.ts", "jose", "§2.2.3"],
    ["conformance/x.ts", "../server/db/client.js", "§2.2.4"],
    ["conformance/x.ts", "../seed/fixtures/tiny.js", "§2.2.4"],
    ["conformance/x.ts", "drizzle-orm", "§2.2.4"],
    ["conformance/x.ts", "p-retry", "§2.2.4"],
    ["seed/x.ts", "../server/repo/records.js", "§2.2.5"],
    ["seed/x.ts", "../server/deps.js", "§2.2.5"],
    ["bin/x.ts", "../test/support/db.js", "§2.2.6"],
    ["server/repo/x.ts", "hono", "§2.2.7"],
    ["server/query/x.ts", "hono/http-exception", "§2.2.7"],
    ["server/repo/x.ts", "../routes/read.js", "§2.2.7"],
    ["server/routes/x.ts", "postgres", "§2.2.7"],
    ["server/x.ts", "drizzle-orm/pglite", "§2.2.7"],
    ["server/db/migrate.ts", "@electric-sql/pglite", "§2.2.7"],
    ["seed/load.ts", "postgres", "§2.2.7"],
    ["bench/x.ts", "@electric-sql/pglite", "§2.2.7"],
    ["test/support/x.ts", "postgres", "§2.2.7"],
    ["consumer/sync/x.ts", "drizzle-orm/postgres-js", "§2.2.7"],
    ["consumer/store/schema.ts", "@electric-sql/pglite", "§2.2.7"],
    ["conformance/x.ts", "postgres", "§2.2.7"],
    ["consumer/client/x.ts", "../store/schema.js", "§2.2.8"],
  ])("flags %s importing %s (%s)", (from, specifier, rule) => {
    expect(edge(from, specifier)).toMatch(rule);
  });

  it.each([
    ["oneroster/x.ts", "zod"],
    ["oneroster/entities/x.ts", "../common.js"],
    ["oneroster/client/x.ts", "zod"],
    ["oneroster/client/x.ts", "p-retry"],
    ["oneroster/client/x.ts", "p-limit"],
    ["oneroster/client/x.ts", "./wire.js"],
    ["oneroster/client/x.ts", "../index.js"],
    ["server/repo/x.ts", "drizzle-orm"],
    ["server/x.ts", "../oneroster/index.js"],
    ["server/db/client.ts", "postgres"],
    ["server/db/client.ts", "@electric-sql/pglite"],
    ["server/db/migrate.ts", "drizzle-orm/pglite/migrator"],
    ["seed/x.ts", "../server/db/schema.js"],
    ["seed/x.ts", "../server/db/client.js"],
    ["bin/x.ts", "../server/main.js"],
    ["bench/x.ts", "../seed/load.js"],
    ["bench/x.ts", "../server/db/client.js"],
    ["test/x.ts", "../server/app.js"],
    ["test/x.ts", "../oneroster/client/index.js"],
    ["consumer/x.ts", "../oneroster/index.js"],
    ["consumer/x.ts", "../oneroster/client/index.js"],
    ["consumer/x.ts", "zod"],
    ["consumer/x.ts", "commander"],
    ["consumer/x.ts", "picocolors"],
    ["consumer/x.ts", "cli-progress"],
    ["consumer/x.ts", "p-retry"],
    ["consumer/x.ts", "p-limit"],
    ["consumer/x.ts", "node:crypto"],
    ["consumer/store/schema.ts", "drizzle-orm"],
    ["consumer/store/schema.ts", "drizzle-orm/pg-core"],
    ["consumer/store/open.ts", "postgres"],
    ["consumer/store/open.ts", "@electric-sql/pglite"],
    ["consumer/store/open.ts", "drizzle-orm/postgres-js"],
    ["consumer/store/migrate.ts", "drizzle-orm/postgres-js/migrator"],
    ["consumer/sync/x.ts", "../store/schema.js"],
    ["conformance/x.ts", "../oneroster/index.js"],
    ["conformance/x.ts", "../oneroster/client/index.js"],
    ["conformance/x.ts", "junit-report-builder"],
    ["conformance/x.ts", "node:fs/promises"],
  ])("allows %s importing %s", (from, specifier) => {
    expect(edge(from, specifier)).toBe("");
  });

  it("allows seed/ type-only imports of server/deps and migrate files' type-only driver imports", () => {
    expect(edge("seed/x.ts", "../server/deps.js", true)).toBe("");
    expect(edge("server/db/migrate.ts", "drizzle-orm/pglite", true)).toBe("");
    expect(edge("consumer/store/migrate.ts", "drizzle-orm/postgres-js", true)).toBe("");
    expect(edge("consumer/store/migrate.ts", "drizzle-orm/postgres-js")).toMatch("§2.2.7");
  });

  // Samples spell `process` apart so this file's own scan does not count them.
  const env = `${"process"}.env`;

  it("spots an environment read in code but not in comments", () => {
    expect(readsEnv(`const u = ${env}.DATABASE_URL;`)).toBe(true);
    expect(readsEnv(`const u = ${"process"}["env"].DATABASE_URL;`)).toBe(true);
    expect(readsEnv(`const { env } = ${"process"};`)).toBe(true);
    expect(readsEnv(`// the only file reading ${env}\n * ${env} is read elsewhere`)).toBe(false);
  });

  it("flags an environment reader outside the entry points' config files", () => {
    const files = new Map([
      ["server/routes/read.ts", `const cap = ${env}.LIMIT;`],
      ["consumer/sync/run.ts", `const url = ${env}.PROVIDER_URL;`],
      ["test/support/db.ts", `const id = ${env}.VITEST_POOL_ID;`],
    ]);
    expect(envReaderProblems(files).map((p) => p.split(" ")[0])).toEqual([
      "server/routes/read.ts",
      "consumer/sync/run.ts",
      "test/support/db.ts",
    ]);
  });

  it("allows the config file of each entry point to read the environment", () => {
    const files = new Map(Object.keys(ENV_READERS).map((path) => [path, `parse(${env});`]));
    expect(envReaderProblems(files)).toEqual([]);
  });

  it("spots a reach into drizzle's private session or raw client", () => {
    // Spelled apart so this file's own scan does not count them; the first is what seed/load.ts once did.
    expect(
      reachesIntoDriver(`const c = (tx as unknown as { ${"session"}?: { client?: unknown } }).${"session"}?.client;`),
    ).toBe(true);
    expect(reachesIntoDriver(`const c = tx.${"session"}.client;`)).toBe(true);
    expect(reachesIntoDriver(`const raw = db.${"$"}client;`)).toBe(true);
    expect(reachesIntoDriver("const s = academicSession.client; const t = row.sessionId;")).toBe(false);
    expect(reachesIntoDriver(`const byKind = {\n  ${"session"}: "academicSessions",\n};`)).toBe(false);
  });

  it("finds an import cycle and reports its path", () => {
    const edges = [
      ...parseImports("seed/a.ts", 'import { b } from "./b.js";'),
      ...parseImports("seed/b.ts", 'import { c } from "./c.js";'),
      ...parseImports("seed/c.ts", 'import { a } from "./a.js";'),
    ];
    expect(findCycles(edges, new Set(["seed/a.ts", "seed/b.ts", "seed/c.ts"]))).toEqual([
      "seed/a.ts → seed/b.ts → seed/c.ts → seed/a.ts",
    ]);
  });

  it("allows a diamond and a type-only loop (erased at runtime)", () => {
    const edges = [
      ...parseImports("seed/a.ts", 'import { b } from "./b.js";\nimport { c } from "./c.js";'),
      ...parseImports("seed/b.ts", 'import { d } from "./d.js";'),
      ...parseImports("seed/c.ts", 'import { d } from "./d.js";'),
      ...parseImports("seed/d.ts", 'import type { A } from "./a.js";'),
    ];
    expect(findCycles(edges, new Set(["seed/a.ts", "seed/b.ts", "seed/c.ts", "seed/d.ts"]))).toEqual([]);
  });
});

describe("the codebase keeps the dependency rules of house-style §2.2", () => {
  const { files, edges } = loadGraph();

  it("reads a real import graph", () => {
    expect(files.size).toBeGreaterThan(20);
    expect(edges.some((e) => e.from === "server/db/client.ts" && e.specifier === "postgres")).toBe(true);
    expect(edges.some((e) => e.from === "oneroster/client/http.ts" && e.specifier === "p-retry")).toBe(true);
  });

  it("has no import that breaks a rule", () => {
    const violations = edges.flatMap((e) => checkEdge(e).map((rule) => `${e.from} → ${e.specifier}: ${rule}`));
    expect(violations).toEqual([]);
  });

  it("reads the environment only in the config file of an entry point", () => {
    expect(envReaderProblems(files)).toEqual([]);
  });

  it("lists no config file that has stopped reading the environment", () => {
    const stale = Object.keys(ENV_READERS).filter((path) => files.has(path) && !readsEnv(files.get(path) ?? ""));
    expect(stale).toEqual([]);
  });

  it("keeps drizzle's private session and raw client inside the driver files", () => {
    const reaching = [...files]
      .filter(([path, source]) => !DRIVER_FILES.includes(path) && reachesIntoDriver(source))
      .map(([path]) => path);
    expect(reaching).toEqual([]);
  });

  it("has no import cycle", () => {
    expect(findCycles(edges, new Set(files.keys()))).toEqual([]);
  });

  it("names driver and migrate files that exist (or belong to the consumer, still to come)", () => {
    const missing = [...DRIVER_FILES, ...MIGRATE_FILES].filter(
      (path) => !path.startsWith("consumer/") && !existsSync(join(ROOT, path)),
    );
    expect(missing).toEqual([]);
  });
});
