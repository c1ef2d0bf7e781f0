// `rosterlab clients …` and `rosterlab requests`: the admin API from a terminal. With --url (or ROSTERLAB_URL) they
// talk to a running provider with its admin credential; otherwise they open DATABASE_URL and answer through the same
// admin routes in process, so both ways share one implementation. Text by default, --json for machines.
import { randomBytes } from "node:crypto";
import type { Command } from "commander";
import { createApp } from "../app.js";
import { loadOrCreateKeys } from "../auth/keys.js";
import { DEFAULT_CONFIG, readAdminCliEnv } from "../config.js";
import { openDb } from "../db/client.js";
import { migrateDb } from "../db/migrate.js";
import { systemClock } from "../deps.js";
import { createLogger } from "../log.js";

export interface AdminCliIo {
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

interface Answer {
  status: number;
  json: unknown;
}

type AdminCall = (method: string, path: string, body?: unknown) => Promise<Answer>;

interface Connection {
  call: AdminCall;
  close(): Promise<void>;
}

/** A failure the command reports on one line, with its exit code (2: usage, 1: the provider refused or is down). */
class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

interface ConnectFlags {
  url?: string;
  adminToken?: string;
}

async function connect(flags: ConnectFlags, io: AdminCliIo): Promise<Connection> {
  const { env, problems } = readAdminCliEnv(io.env);
  if (!env) {
    throw new CliFailure(`bad environment: ${problems.join("; ")}`, 2);
  }
  const url = (flags.url ?? env.url)?.replace(/\/$/, "");
  if (url) {
    const token = flags.adminToken ?? env.adminToken;
    if (!token) {
      throw new CliFailure("--url needs the provider's admin credential: --admin-token or ROSTERLAB_ADMIN_TOKEN", 2);
    }
    return {
      call: async (method, path, body) => {
        let res: Response;
        try {
          res = await fetch(`${url}${path}`, {
            method,
            headers: {
              authorization: `Bearer ${token}`,
              ...(body !== undefined ? { "content-type": "application/json" } : {}),
            },
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          });
        } catch (error) {
          throw new CliFailure(`cannot reach ${url}: ${(error as Error).message}`, 1);
        }
        const text = await res.text();
        return { status: res.status, json: text === "" ? undefined : JSON.parse(text) };
      },
      close: async () => {},
    };
  }
  if (!env.databaseUrl) {
    throw new CliFailure(
      "pass --url (a running provider, with --admin-token) or set DATABASE_URL (its postgres:// URL or PGlite directory)",
      2,
    );
  }
  const handle = await openDb(env.databaseUrl, { max: 2 });
  await migrateDb(handle);
  // The same admin routes, in process, behind a credential that lives as long as this command.
  const adminToken = randomBytes(24).toString("base64url");
  const app = createApp({
    db: handle.db,
    driver: handle.driver,
    clock: systemClock,
    config: { ...DEFAULT_CONFIG, adminToken, logLevel: "silent" },
    keys: await loadOrCreateKeys(handle.db),
    log: createLogger("silent"),
  });
  return {
    call: async (method, path, body) => {
      const res = await app.request(path, {
        method,
        headers: {
          authorization: `Bearer ${adminToken}`,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, json: text === "" ? undefined : JSON.parse(text) };
    },
    close: () => handle.close(),
  };
}

/** The description of a status payload, or the body as text. */
function describeRefusal(answer: Answer): string {
  const info = (answer.json as { statusInfoSet?: { imsx_description?: string }[] } | undefined)?.statusInfoSet?.[0];
  return info?.imsx_description ?? JSON.stringify(answer.json);
}

async function expectOk(answer: Promise<Answer>, ok: number[] = [200]): Promise<unknown> {
  const a = await answer;
  if (!ok.includes(a.status)) {
    throw new CliFailure(`the provider answered ${a.status}: ${describeRefusal(a)}`, a.status >= 500 ? 1 : 2);
  }
  return a.json;
}

interface ClientJson {
  clientId: string;
  name: string;
  scopes: string[];
  tokenLeniency: string;
  createdAt: string;
  tokensValidAfter: string | null;
}

const SCOPE_PREFIX = "https://purl.imsglobal.org/spec/or/v1p1/scope/";
const shortScopes = (scopes: string[]) => scopes.map((s) => s.replace(SCOPE_PREFIX, "")).join(" ");

function clientText(client: ClientJson, extra: { clientSecret?: string; active?: string[] } = {}): string {
  const lines = [
    `client id      ${client.clientId}`,
    `name           ${client.name}`,
    `scopes         ${shortScopes(client.scopes)}`,
    `token requests ${client.tokenLeniency}`,
    `created        ${client.createdAt}`,
  ];
  if (extra.active) {
    lines.push(`faults         ${extra.active.length > 0 ? extra.active.join(" ") : "none"}`);
  }
  if (extra.clientSecret) {
    lines.push(`client secret  ${extra.clientSecret}   (shown once: store it now)`);
  }
  return `${lines.join("\n")}\n`;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return `${rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}

interface Common extends ConnectFlags {
  json?: boolean;
}

function withConnection(io: AdminCliIo, work: (conn: Connection, flags: Common, ...args: string[]) => Promise<void>) {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const flags = command.optsWithGlobals() as Common;
    const positional = args
      .slice(0, -2)
      .flatMap((a) => (Array.isArray(a) ? a : [a]))
      .filter((a): a is string => typeof a === "string");
    let conn: Connection | undefined;
    try {
      conn = await connect(flags, io);
      await work(conn, flags, ...positional);
    } catch (error) {
      if (error instanceof CliFailure) {
        io.err.write(`error ${error.message}\n`);
        process.exitCode = error.exitCode;
        return;
      }
      throw error;
    } finally {
      await conn?.close();
    }
  };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function addConnectOptions(command: Command): Command {
  return command
    .option(
      "--url <origin>",
      "a running provider, e.g. http://127.0.0.1:8080 (default ROSTERLAB_URL; else DATABASE_URL)",
    )
    .option("--admin-token <token>", "the provider's admin credential (default ROSTERLAB_ADMIN_TOKEN)")
    .option("--json", "print JSON");
}

/** Adds `clients` and `requests` to the program. */
export function registerAdminCommands(program: Command, io: AdminCliIo): void {
  const print = (flags: Common, json: unknown, text: () => string) =>
    io.out.write(flags.json ? `${JSON.stringify(json, null, 2)}\n` : text());

  const clients = addConnectOptions(
    program.command("clients").description("manage the provider's OAuth clients: their secrets, scopes and faults"),
  );

  clients
    .command("list")
    .description("list clients")
    .action(
      withConnection(io, async (conn, flags) => {
        const json = (await expectOk(conn.call("GET", "/admin/clients"))) as { clients: ClientJson[] };
        print(flags, json, () =>
          table([
            ["CLIENT ID", "NAME", "TOKEN REQUESTS", "SCOPES"],
            ...json.clients.map((c) => [c.clientId, c.name, c.tokenLeniency, shortScopes(c.scopes)]),
          ]),
        );
      }),
    );

  clients
    .command("create")
    .description("register a client; prints its secret once")
    .requiredOption("--name <name>", "what the client is (e.g. the LMS it belongs to)")
    .option("--id <clientId>", "its client id (default: generated)")
    .option("--scope <uri>", "a scope it may be granted (repeatable; default: every v1p1 scope)", collect)
    .option("--leniency <mode>", "token requests: strict (RFC 6749 only) or lenient (deviations recorded)", "strict")
    .option("--fault <preset>", "a fault preset for this client only, name[:key=value,…] (repeatable)", collect)
    .action(
      withConnection(io, async (conn, flags) => {
        const o = flags as Common & { name: string; id?: string; scope?: string[]; leniency: string; fault?: string[] };
        const json = (await expectOk(
          conn.call("POST", "/admin/clients", {
            name: o.name,
            ...(o.id ? { clientId: o.id } : {}),
            ...(o.scope ? { scopes: o.scope.map((s) => (s.includes("/") ? s : `${SCOPE_PREFIX}${s}`)) } : {}),
            tokenLeniency: o.leniency,
            faults: o.fault ?? [],
          }),
          [201],
        )) as { client: ClientJson; clientSecret: string; active: string[] };
        print(flags, json, () => clientText(json.client, json));
      }),
    );

  clients
    .command("show <clientId>")
    .description("show a client and its fault presets")
    .action(
      withConnection(io, async (conn, flags, id) => {
        const json = (await expectOk(conn.call("GET", `/admin/clients/${encodeURIComponent(id ?? "")}`))) as {
          client: ClientJson;
          active: string[];
        };
        print(flags, json, () => clientText(json.client, json));
      }),
    );

  clients
    .command("update <clientId>")
    .description("change a client's name, scopes or token leniency")
    .option("--name <name>", "a new name")
    .option("--scope <uri>", "replace its scopes (repeatable)", collect)
    .option("--leniency <mode>", "strict or lenient")
    .action(
      withConnection(io, async (conn, flags, id) => {
        const o = flags as Common & { name?: string; scope?: string[]; leniency?: string };
        const json = (await expectOk(
          conn.call("PATCH", `/admin/clients/${encodeURIComponent(id ?? "")}`, {
            ...(o.name ? { name: o.name } : {}),
            ...(o.scope ? { scopes: o.scope.map((s) => (s.includes("/") ? s : `${SCOPE_PREFIX}${s}`)) } : {}),
            ...(o.leniency ? { tokenLeniency: o.leniency } : {}),
          }),
        )) as { client: ClientJson };
        print(flags, json, () => clientText(json.client));
      }),
    );

  clients
    .command("rotate <clientId>")
    .description("give a client a new secret (printed once); the old one and tokens issued before stop working")
    .action(
      withConnection(io, async (conn, flags, id) => {
        const json = (await expectOk(conn.call("POST", `/admin/clients/${encodeURIComponent(id ?? "")}/rotate`))) as {
          client: ClientJson;
          clientSecret: string;
        };
        print(flags, json, () => clientText(json.client, json));
      }),
    );

  clients
    .command("delete <clientId>")
    .description("delete a client: no more tokens, its tokens refused; its request log stays")
    .action(
      withConnection(io, async (conn, flags, id) => {
        await expectOk(conn.call("DELETE", `/admin/clients/${encodeURIComponent(id ?? "")}`), [204]);
        print(flags, { deleted: id }, () => `deleted ${id}\n`);
      }),
    );

  clients
    .command("faults <clientId> [presets...]")
    .description("show a client's fault presets, or replace them with the presets given (--clear: none)")
    .option("--clear", "switch every preset of this client off")
    .action(
      withConnection(io, async (conn, flags, id, ...presets) => {
        const path = `/admin/clients/${encodeURIComponent(id ?? "")}/faults`;
        const o = flags as Common & { clear?: boolean };
        const json = (await expectOk(
          presets.length > 0 || o.clear ? conn.call("PUT", path, { faults: presets }) : conn.call("GET", path),
        )) as { active: string[]; counters: { name: string; key: string; n: number }[] };
        print(flags, json, () => (json.active.length === 0 ? "no fault presets\n" : `${json.active.join("\n")}\n`));
      }),
    );

  addConnectOptions(
    program
      .command("requests")
      .description("read the request log: what each client did, newest first")
      .option("--client <clientId>", "one client's requests")
      .option("--since <time>", "from this ISO date-time")
      .option("--until <time>", "before this ISO date-time")
      .option("--status <code>", "one HTTP status")
      .option("--operation <id>", "one operation (getAllUsers, token, …)")
      .option("--limit <n>", "at most this many (1–1000)", "100")
      .option("--oldest-first", "oldest first"),
  ).action(
    withConnection(io, async (conn, flags) => {
      const o = flags as Common & Record<string, string | boolean | undefined>;
      const query = new URLSearchParams();
      for (const [flag, param] of [
        ["client", "client"],
        ["since", "since"],
        ["until", "until"],
        ["status", "status"],
        ["operation", "operation"],
        ["limit", "limit"],
      ] as const) {
        if (typeof o[flag] === "string") {
          query.set(param, o[flag] as string);
        }
      }
      if (o.oldestFirst) {
        query.set("order", "asc");
      }
      const json = (await expectOk(conn.call("GET", `/admin/requests?${query}`))) as {
        requests: {
          at: string;
          clientId: string | null;
          method: string;
          path: string;
          query: string | null;
          status: number;
          bytes: number | null;
          durationMs: number;
          faults: string[];
          findings: string[];
        }[];
      };
      print(flags, json, () =>
        table([
          ["AT", "CLIENT", "STATUS", "MS", "BYTES", "REQUEST", "FAULTS/FINDINGS"],
          ...json.requests.map((r) => [
            r.at,
            r.clientId ?? "-",
            String(r.status),
            String(r.durationMs),
            r.bytes === null ? "-" : String(r.bytes),
            `${r.method} ${r.path}${r.query ? `?${r.query}` : ""}`,
            [...r.faults, ...r.findings].join(" "),
          ]),
        ]),
      );
    }),
  );
}
