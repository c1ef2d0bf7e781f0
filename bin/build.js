// Builds the TypeScript sources with esbuild into .rosterlab/build/<stamp>, each source file as one JavaScript file at
// the same relative path, on the first call after any source file changed (a few hundred ms); later calls find that
// build. Used by the CLI launcher (bin/rosterlab.js) and by the bench, whose children run the same build users run.
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The directories the CLI's code comes from, and the files it reads at run time beside its code. */
export const CLI_DIRS = ["bin", "oneroster", "server", "seed", "consumer", "conformance"];
const ASSET_DIRS = ["server/db/migrations", "consumer/store/migrations"];
const BUILDS = join(ROOT, ".rosterlab", "build");
/** Builds kept besides the newest: a provider still running from an older one may load more of its modules. */
const KEEP_BUILDS = 4;

/** Every file under `dir` (relative to ROOT) that `keep` accepts, sorted. */
function filesUnder(dir, keep) {
  const out = [];
  const walk = (path) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) {
        walk(full);
      } else if (keep(entry.name)) {
        out.push(relative(ROOT, full));
      }
    }
  };
  walk(join(ROOT, dir));
  return out.sort();
}

/** The build's name: a hash of every input's path, size and modification time, and of esbuild's version. */
function stampOf(files, esbuildVersion) {
  const hash = createHash("sha256").update(`esbuild ${esbuildVersion}\n`);
  for (const file of files) {
    const s = statSync(join(ROOT, file));
    hash.update(`${file}\t${s.size}\t${s.mtimeMs}\n`);
  }
  hash.update(`${statSync(fileURLToPath(import.meta.url)).mtimeMs}\n`);
  return hash.digest("hex").slice(0, 16);
}

/** Drops all but the newest builds (best effort: another process may be doing the same). */
function pruneBuilds(current) {
  const builds = readdirSync(BUILDS, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== current)
    .map((e) => ({ name: e.name, mtime: statSync(join(BUILDS, e.name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of builds.slice(KEEP_BUILDS)) {
    rmSync(join(BUILDS, old.name), { recursive: true, force: true });
  }
}

/**
 * The directory of a build of the TypeScript files under `dirs` (each file as one JavaScript file at the same relative
 * path), building it first when any of them changed since the last build. Throws when no build can be made.
 */
export async function ensureBuild(dirs = CLI_DIRS) {
  // The version from its package file: loading esbuild itself (~30 ms) waits until there is something to build.
  const { version } = createRequire(import.meta.url)("esbuild/package.json");
  const sources = dirs.flatMap((dir) => filesUnder(dir, (name) => name.endsWith(".ts") && !name.endsWith(".d.ts")));
  const assets = ASSET_DIRS.flatMap((dir) => filesUnder(dir, () => true));
  const stamp = stampOf([...sources, ...assets], version);
  const out = join(BUILDS, stamp);
  try {
    statSync(join(out, "complete"));
    return out;
  } catch {
    // Not built yet: build below.
  }
  // Built aside and renamed into place, so a concurrent start never loads half a build.
  const staging = `${out}.${process.pid}.tmp`;
  const esbuild = await import("esbuild");
  try {
    await esbuild.build({
      entryPoints: sources.map((file) => join(ROOT, file)),
      outdir: staging,
      outbase: ROOT,
      format: "esm",
      platform: "node",
      target: "node20",
      tsconfig: join(ROOT, "tsconfig.json"),
      logLevel: "silent",
    });
    for (const dir of ASSET_DIRS) {
      cpSync(join(ROOT, dir), join(staging, dir), { recursive: true });
    }
    // This file too: built modules may import it (the bench's child helpers do).
    cpSync(fileURLToPath(import.meta.url), join(staging, "bin", "build.js"));
    writeFileSync(join(staging, "complete"), `${new Date().toISOString()}\n`);
    mkdirSync(BUILDS, { recursive: true });
    try {
      renameSync(staging, out);
    } catch (error) {
      // Another start built the same sources first: use that one.
      statSync(join(out, "complete"));
      if (process.env.ROSTERLAB_DEBUG) {
        process.stderr.write(`build ${stamp} made concurrently (${error.message})\n`);
      }
    }
    pruneBuilds(stamp);
    return out;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
