// The CLI launcher (bin/rosterlab.js) on a copy of the sources: it builds them on the first run and reuses that
// build, builds again after a source file changes (and runs the change), makes one build when two starts race, and
// runs the sources through tsx with ROSTERLAB_BUILD=off. Real child processes; no timing asserted.
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childProcessEnv } from "../setup/env.js";
import { runCli } from "../support/run-cli.js";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

const run = (root: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCli(args, {
    cli: join(root, "bin", "rosterlab.js"),
    cwd: root,
    env: { ...childProcessEnv(), NO_COLOR: "1", ...env },
  });

const builds = (root: string) =>
  existsSync(join(root, ".rosterlab", "build")) ? readdirSync(join(root, ".rosterlab", "build")).sort() : [];

describe("the CLI launcher", { timeout: 120_000 }, () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "rl-launcher-"));
    for (const part of [
      "bin",
      "oneroster",
      "server",
      "seed",
      "consumer",
      "conformance",
      "package.json",
      "tsconfig.json",
    ]) {
      cpSync(join(REPO, part), join(root, part), { recursive: true, preserveTimestamps: true });
    }
    symlinkSync(join(REPO, "node_modules"), join(root, "node_modules"), "dir");
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it("builds once when two starts race, then reuses the build", async () => {
    const [a, b] = await Promise.all([run(root, ["serve", "--help"]), run(root, ["serve", "--help"])]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(a.stdout).toMatch(/Usage: rosterlab serve/);
    const first = builds(root);
    expect(first).toHaveLength(1);
    expect(existsSync(join(root, ".rosterlab", "build", first[0] as string, "complete"))).toBe(true);
    const stamp = readFileSync(join(root, ".rosterlab", "build", first[0] as string, "complete"), "utf8");
    expect((await run(root, ["migrate", "--help"])).code).toBe(0);
    expect(builds(root)).toEqual(first);
    expect(readFileSync(join(root, ".rosterlab", "build", first[0] as string, "complete"), "utf8")).toBe(stamp);
  });

  it("builds again after a source file changes, and runs the change", async () => {
    const before = builds(root);
    const cli = join(root, "bin", "rosterlab.ts");
    writeFileSync(
      cli,
      readFileSync(cli, "utf8").replace(
        '.description("serve a seeded district',
        '.description("launcher-test marker: serve a seeded district',
      ),
    );
    const after = await run(root, ["serve", "--help"]);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/launcher-test marker/);
    expect(builds(root)).toHaveLength(before.length + 1);
  });

  it("runs the sources through tsx with ROSTERLAB_BUILD=off, building nothing", async () => {
    const before = builds(root);
    const cli = join(root, "bin", "rosterlab.ts");
    writeFileSync(cli, readFileSync(cli, "utf8").replace("launcher-test marker", "through-tsx marker"));
    const res = await run(root, ["serve", "--help"], { ROSTERLAB_BUILD: "off" });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/through-tsx marker/);
    expect(builds(root)).toEqual(before);
  });
});
