#!/usr/bin/env node
// Launcher for the TypeScript CLI (bin/rosterlab.ts). It runs a build of the sources kept in .rosterlab/build/<stamp>
// (bin/build.js): made on the first run after any source file changed, then loaded directly, which starts in well
// under half the time of compiling through tsx's loader on every start. Where no build can be made (a read-only
// checkout, or ROSTERLAB_BUILD=off), it runs the sources through tsx, as `npm run dev` does.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CLI_DIRS, ensureBuild } from "./build.js";

let entry;
if (process.env.ROSTERLAB_BUILD !== "off") {
  try {
    entry = join(await ensureBuild(CLI_DIRS), "bin", "rosterlab.js");
  } catch (error) {
    if (process.env.ROSTERLAB_DEBUG) {
      process.stderr.write(`no build of the sources (${error.message}); running them through tsx\n`);
    }
  }
}
if (entry) {
  await import(pathToFileURL(entry).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("./rosterlab.ts");
}
