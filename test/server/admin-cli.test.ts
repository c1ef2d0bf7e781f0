// `rosterlab clients …` and `rosterlab requests` as an operator runs them: against a running provider (--url) and
// straight on DATABASE_URL, text and JSON output, and clear errors with exit code 2.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerAdminCommands } from "../../server/admin/cli.js";
import { openTestDb, type TestDb } from "../support/db.js";
import { startProvider, type TestProvider } from "../support/server.js";

const ADMIN = "admin-credential-for-tests-0123";

async function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ out: string; err: string; exitCode: number }> {
  let out = "";
  let err = "";
  const program = new Command("rosterlab").exitOverride();
  program.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  registerAdminCommands(program, {
    out: { write: (s: string) => (out += s) },
    err: { write: (s: string) => (err += s) },
    env,
  });
  const before = process.exitCode;
  process.exitCode = 0;
  let exitCode = 0;
  try {
    await program.parseAsync(args, { from: "user" });
    exitCode = Number(process.exitCode ?? 0);
  } catch (e) {
    exitCode = (e as { exitCode?: number }).exitCode ?? 1;
  } finally {
    process.exitCode = before;
  }
  return { out, err, exitCode };
}

describe("rosterlab clients and requests against a running provider", () => {
  let db: TestDb;
  let provider: TestProvider;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    db = await openTestDb("pglite");
    provider = await startProvider(db.handle, { config: { adminToken: ADMIN } });
    env = { ROSTERLAB_URL: provider.origin, ROSTERLAB_ADMIN_TOKEN: ADMIN };
  });
  afterAll(async () => {
    await provider?.close();
    await db?.close();
  });

  it("creates, lists, updates, switches faults, rotates and deletes a client", async () => {
    const made = await run(
      [
        "clients",
        "create",
        "--name",
        "LMS A",
        "--id",
        "lms-a",
        "--scope",
        "roster-core.readonly",
        "--fault",
        "latency:ms=5",
        "--json",
      ],
      env,
    );
    expect(made.exitCode, made.err).toBe(0);
    const created = JSON.parse(made.out) as { clientSecret: string; active: string[] };
    expect(created.active).toEqual(["latency:ms=5"]);
    const listed = await run(["clients", "list"], env);
    expect(listed.out).toMatch(/lms-a\s+LMS A\s+strict\s+roster-core\.readonly/);
    expect(listed.out).not.toContain(created.clientSecret);
    expect((await run(["clients", "update", "lms-a", "--leniency", "lenient"], env)).out).toMatch(
      /token requests lenient/,
    );
    const faults = await run(["clients", "faults", "lms-a", "server-errors:every=2", "no-total-count"], env);
    expect(faults.out).toBe("server-errors:every=2\nno-total-count\n");
    expect((await run(["clients", "faults", "lms-a", "--clear"], env)).out).toBe("no fault presets\n");
    const rotated = await run(["clients", "rotate", "lms-a"], env);
    expect(rotated.out).toMatch(/client secret {2}\S{32,}/);
    expect((await run(["clients", "delete", "lms-a"], env)).out).toBe("deleted lms-a\n");
    const gone = await run(["clients", "show", "lms-a"], env);
    expect(gone.exitCode).toBe(2);
    expect(gone.err).toMatch(/404: no client lms-a/);
  });

  it("reads the request log, filtered by client", async () => {
    await provider.token();
    const json = await run(["requests", "--client", provider.clientId, "--json"], env);
    const { requests } = JSON.parse(json.out) as { requests: { operation: string }[] };
    expect(requests.map((r) => r.operation)).toContain("token");
    expect((await run(["requests", "--client", provider.clientId], env)).out).toMatch(/POST \/oauth\/token/);
    const bad = await run(["requests", "--since", "yesterday"], env);
    expect(bad.exitCode).toBe(2);
  });

  it("says what is missing without a provider or a database, and without the admin credential", async () => {
    expect((await run(["clients", "list"], {})).err).toMatch(/pass --url .* or set DATABASE_URL/);
    const noToken = await run(["clients", "list", "--url", provider.origin], {});
    expect(noToken.exitCode).toBe(2);
    expect(noToken.err).toMatch(/--admin-token or ROSTERLAB_ADMIN_TOKEN/);
  });
});

describe("rosterlab clients on DATABASE_URL", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "rl-clients-cli-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("registers a client in the database before any provider runs", async () => {
    const env = { DATABASE_URL: join(dir, "pgdata") };
    const made = await run(["clients", "create", "--name", "pre-registered", "--id", "lms-pre"], env);
    expect(made.exitCode, made.err).toBe(0);
    expect((await run(["clients", "list"], env)).out).toMatch(/lms-pre\s+pre-registered/);
  });
});
