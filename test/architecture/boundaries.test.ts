// The dependency rules of house-style §2.2, read from the import graph: every import/export-from/dynamic import
// of every .ts file outside node_modules is classified and checked. A violation names file, specifier and rule.
import { readdirSync, readFileSync } from "node:fs";
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

const DRIVER_SPECIFIERS = [
  /^postgres$/,
  /^@electric-sql\/pglite(\/|$)/,
  /^drizzle-orm\/pglite(\/|$)/,
  /^drizzle-orm\/postgres-js(\/|$)/,
];
const MIGRATORS = new Set(["drizzle-orm/pglite/migrator", "drizzle-orm/postgres-js/migrator"]);

/** The rules of house-style §2.2 for one edge; returns the broken rule, or undefined. */
function checkEdge(edge: ImportEdge): string | undefined {
  const { from, target, specifier } = edge;
  const area = top(from);
  const isPackage = target === undefined;
  if (under(target, "test") && area !== "test") {
    return "§2.2.6 nothing outside test/ imports test/";
  }
  switch (area) {
    case "oneroster":
      // The client kit (oneroster/client, issue 7) retries and bounds concurrency with p-retry and p-limit.
      if (
        target !== undefined
          ? !under(target, "oneroster")
          : pkgName(specifier) !== "zod" &&
            !(under(from, "oneroster/client") && ["p-retry", "p-limit"].includes(pkgName(specifier)))
      ) {
        return "§2.2.1 oneroster/ imports only zod and itself (oneroster/client also p-retry and p-limit)";
      }
      break;
    case "server":
      if (target !== undefined && !under(target, "server", "oneroster")) {
        return "§2.2.2 server/ imports oneroster/ and itself only";
      }
      if (under(from, "server/repo", "server/query") && isPackage && /^(hono|@hono\/)/.test(specifier)) {
        return "§2.2.7 server/repo and server/query never import hono";
      }
      if (
        under(from, "server/repo", "server/query", "server/present") &&
        under(target, "server/routes", "server/app.ts")
      ) {
        return "§2.2.7 routes → query, repo, present: never the other way";
      }
      if (DRIVER_SPECIFIERS.some((re) => re.test(specifier)) && from !== "server/db/client.ts") {
        const migratorUse =
          from === "server/db/migrate.ts" &&
          (MIGRATORS.has(specifier) || (edge.typeOnly && /^drizzle-orm\/(pglite|postgres-js)$/.test(specifier)));
        if (!migratorUse) {
          return "§2.2.7 only server/db/client.ts names a driver (migrate.ts: migrators and their types)";
        }
      }
      break;
    case "consumer":
      if (target !== undefined && !under(target, "consumer", "oneroster")) {
        return "§2.2.3 consumer/ imports oneroster/ and itself only";
      }
      if (under(from, "consumer/client") && under(target, "consumer/store")) {
        return "§2.2.8 consumer/client never touches the store";
      }
      break;
    case "conformance":
      if (target !== undefined && !under(target, "conformance", "oneroster")) {
        return "§2.2.4 conformance/ imports oneroster/ and itself only";
      }
      break;
    case "seed":
      if (
        target !== undefined &&
        !under(target, "seed", "oneroster", "server/db/schema.ts", "server/db/client.ts") &&
        !(edge.typeOnly && target === "server/deps.ts")
      ) {
        return "§2.2.5 seed/ imports oneroster/, server/db/schema, server/db/client (and server/deps types)";
      }
      break;
    default:
      // bin/, bench/, test/ and root config files may import anything but test/ (checked above).
      break;
  }
  return undefined;
}

/** §2.2.7: inside server/, only config.ts reads the environment. Comment lines are ignored. */
function readsEnv(source: string): boolean {
  return source.split("\n").some((line) => {
    const t = line.trim();
    return !t.startsWith("//") && !t.startsWith("*") && !t.startsWith("/*") && /\bprocess\.env\b/.test(t);
  });
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
    return checkEdge(parsed as ImportEdge);
  };

  it.each([
    ["oneroster/x.ts", "hono", "§2.2.1"],
    ["oneroster/x.ts", "../server/errors.js", "§2.2.1"],
    ["server/x.ts", "../seed/generate.js", "§2.2.2"],
    ["server/x.ts", "../consumer/main.js", "§2.2.2"],
    ["server/routes/x.ts", "../../conformance/run.js", "§2.2.2"],
    ["consumer/x.ts", "../server/errors.js", "§2.2.3"],
    ["conformance/x.ts", "../server/db/client.js", "§2.2.4"],
    ["seed/x.ts", "../server/repo/records.js", "§2.2.5"],
    ["seed/x.ts", "../server/deps.js", "§2.2.5"],
    ["bin/x.ts", "../test/support/db.js", "§2.2.6"],
    ["server/repo/x.ts", "hono", "§2.2.7"],
    ["server/query/x.ts", "hono/http-exception", "§2.2.7"],
    ["server/repo/x.ts", "../routes/read.js", "§2.2.7"],
    ["server/routes/x.ts", "postgres", "§2.2.7"],
    ["server/x.ts", "drizzle-orm/pglite", "§2.2.7"],
    ["server/db/migrate.ts", "@electric-sql/pglite", "§2.2.7"],
    ["consumer/client/x.ts", "../store/schema.js", "§2.2.8"],
  ])("flags %s importing %s (%s)", (from, specifier, rule) => {
    expect(edge(from, specifier)).toMatch(rule);
  });

  it.each([
    ["oneroster/x.ts", "zod"],
    ["oneroster/entities/x.ts", "../common.js"],
    ["server/repo/x.ts", "drizzle-orm"],
    ["server/db/client.ts", "postgres"],
    ["server/db/migrate.ts", "drizzle-orm/pglite/migrator"],
    ["seed/x.ts", "../server/db/schema.js"],
    ["seed/x.ts", "../server/db/client.js"],
    ["bin/x.ts", "../server/main.js"],
    ["bench/x.ts", "../seed/load.js"],
    ["test/x.ts", "../server/app.js"],
    ["consumer/sync/x.ts", "../store/schema.js"],
  ])("allows %s importing %s", (from, specifier) => {
    expect(edge(from, specifier)).toBeUndefined();
  });

  it("allows seed/ type-only imports of server/deps and migrate.ts type-only driver imports", () => {
    expect(edge("seed/x.ts", "../server/deps.js", true)).toBeUndefined();
    expect(edge("server/db/migrate.ts", "drizzle-orm/pglite", true)).toBeUndefined();
  });

  it("spots process.env in code but not in comments", () => {
    expect(readsEnv("const u = process.env.DATABASE_URL;")).toBe(true);
    expect(readsEnv("// the only file reading process.env\n * process.env is read elsewhere")).toBe(false);
  });
});

describe("the codebase keeps the dependency rules of house-style §2.2", () => {
  const { files, edges } = loadGraph();

  it("reads a real import graph", () => {
    expect(files.size).toBeGreaterThan(20);
    expect(edges.some((e) => e.from === "server/db/client.ts" && e.specifier === "postgres")).toBe(true);
  });

  it("has no import that breaks a rule", () => {
    const violations = edges.flatMap((e) => {
      const rule = checkEdge(e);
      return rule ? [`${e.from} → ${e.specifier}: ${rule}`] : [];
    });
    expect(violations).toEqual([]);
  });

  it("reads process.env inside server/ only in server/config.ts", () => {
    const readers = [...files].filter(([path, src]) => path.startsWith("server/") && readsEnv(src)).map(([p]) => p);
    expect(readers.filter((p) => p !== "server/config.ts")).toEqual([]);
  });
});
