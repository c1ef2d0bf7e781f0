// OAuth clients as an integration team manages them: create (a generated secret, shown once), list, show, update
// (name, scopes, token leniency), rotate the secret, delete. Only scrypt hashes of secrets are stored; rotating or
// deleting refuses every token issued before. Verbs only: the admin routes and the CLI call these.
import { randomBytes } from "node:crypto";
import { eq, isNull } from "drizzle-orm";
import { ALL_SCOPES } from "../../oneroster/index.js";
import { hashSecret } from "../auth/secrets.js";
import type { Db } from "../db/client.js";
import { oauthClients } from "../db/schema.js";

export const TOKEN_LENIENCIES = ["strict", "lenient"] as const;
export type TokenLeniency = (typeof TOKEN_LENIENCIES)[number];

export interface ClientInfo {
  clientId: string;
  name: string;
  scopes: string[];
  tokenLeniency: TokenLeniency;
  createdAt: Date;
  updatedAt: Date;
  tokensValidAfter: Date | null;
}

/** A refusal the caller shows as is: NOT_FOUND (404), EXISTS (409) or BAD_INPUT (400). */
export class ClientError extends Error {
  override name = "ClientError";
  constructor(
    readonly code: "NOT_FOUND" | "EXISTS" | "BAD_INPUT",
    message: string,
  ) {
    super(message);
  }
}

const CLIENT_ID_RE = /^[A-Za-z0-9._~-]{3,128}$/;
const KNOWN_SCOPES: ReadonlySet<string> = new Set(ALL_SCOPES);

function checkScopes(scopes: readonly string[]): string[] {
  const unknown = scopes.filter((s) => !KNOWN_SCOPES.has(s));
  if (unknown.length > 0) {
    throw new ClientError("BAD_INPUT", `unknown scope: ${unknown.join(" ")}; v1p1 scopes are ${ALL_SCOPES.join(" ")}`);
  }
  if (scopes.length === 0) {
    throw new ClientError("BAD_INPUT", "a client needs at least one scope");
  }
  return [...new Set(scopes)];
}

function toInfo(row: typeof oauthClients.$inferSelect): ClientInfo {
  return {
    clientId: row.clientId,
    name: row.name,
    scopes: row.scopes,
    tokenLeniency: row.tokenLeniency === "lenient" ? "lenient" : "strict",
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    tokensValidAfter: row.tokensValidAfter,
  };
}

/** A new random secret: 32 bytes, URL-safe base64 (nothing to encode in Basic credentials). */
export function newClientSecret(): string {
  return randomBytes(32).toString("base64url");
}

export async function listClients(db: Db): Promise<ClientInfo[]> {
  const rows = await db
    .select()
    .from(oauthClients)
    .where(isNull(oauthClients.deletedAt))
    .orderBy(oauthClients.clientId);
  return rows.map(toInfo);
}

export async function getClient(db: Db, clientId: string): Promise<ClientInfo> {
  const [row] = await db.select().from(oauthClients).where(eq(oauthClients.clientId, clientId)).limit(1);
  if (!row || row.deletedAt) {
    throw new ClientError("NOT_FOUND", `no client ${clientId}`);
  }
  return toInfo(row);
}

export interface NewClient {
  /** Generated (16 random bytes, base64url) when absent. */
  clientId?: string;
  name: string;
  /** Every v1p1 scope when absent. */
  scopes?: readonly string[];
  tokenLeniency?: TokenLeniency;
  /** Generated when absent; at least 16 characters. */
  clientSecret?: string;
}

/** Creates a client and returns it with its secret, the only time the secret is shown. A deleted id is reused. */
export async function createClient(
  db: Db,
  input: NewClient,
  now: Date,
): Promise<{ client: ClientInfo; clientSecret: string }> {
  const clientId = input.clientId ?? randomBytes(16).toString("base64url");
  if (!CLIENT_ID_RE.test(clientId)) {
    throw new ClientError("BAD_INPUT", "client id must be 3–128 characters of A–Z a–z 0–9 . _ ~ -");
  }
  if (input.name.trim() === "") {
    throw new ClientError("BAD_INPUT", "a client needs a name");
  }
  if (input.clientSecret !== undefined && input.clientSecret.length < 16) {
    throw new ClientError("BAD_INPUT", "a client secret must be at least 16 characters");
  }
  const scopes = checkScopes(input.scopes ?? ALL_SCOPES);
  const clientSecret = input.clientSecret ?? newClientSecret();
  const values = {
    name: input.name.trim(),
    secretHash: await hashSecret(clientSecret),
    scopes,
    tokenLeniency: input.tokenLeniency ?? "strict",
    createdAt: now,
    updatedAt: now,
    tokensValidAfter: null,
    deletedAt: null,
  };
  return db.transaction(async (tx) => {
    const [existing] = await tx
      .select({ deletedAt: oauthClients.deletedAt })
      .from(oauthClients)
      .where(eq(oauthClients.clientId, clientId))
      .for("update");
    if (existing && !existing.deletedAt) {
      throw new ClientError("EXISTS", `client ${clientId} exists; rotate its secret or delete it first`);
    }
    // A deleted id comes back as a new client: its tokens from before stay refused.
    const revived = existing ? { ...values, tokensValidAfter: now } : values;
    const [row] = await tx
      .insert(oauthClients)
      .values({ clientId, ...revived })
      .onConflictDoUpdate({ target: oauthClients.clientId, set: revived })
      .returning();
    return { client: toInfo(row as typeof oauthClients.$inferSelect), clientSecret };
  });
}

export interface ClientChanges {
  name?: string;
  scopes?: readonly string[];
  tokenLeniency?: TokenLeniency;
}

export async function updateClient(db: Db, clientId: string, changes: ClientChanges, now: Date): Promise<ClientInfo> {
  await getClient(db, clientId);
  const set: Partial<typeof oauthClients.$inferInsert> = { updatedAt: now };
  if (changes.name !== undefined) {
    if (changes.name.trim() === "") {
      throw new ClientError("BAD_INPUT", "a client needs a name");
    }
    set.name = changes.name.trim();
  }
  if (changes.scopes !== undefined) {
    set.scopes = checkScopes(changes.scopes);
  }
  if (changes.tokenLeniency !== undefined) {
    set.tokenLeniency = changes.tokenLeniency;
  }
  const [row] = await db.update(oauthClients).set(set).where(eq(oauthClients.clientId, clientId)).returning();
  return toInfo(row as typeof oauthClients.$inferSelect);
}

/** A new secret (returned once); the old one stops working at once and tokens issued before are refused. */
export async function rotateClientSecret(
  db: Db,
  clientId: string,
  now: Date,
): Promise<{ client: ClientInfo; clientSecret: string }> {
  await getClient(db, clientId);
  const clientSecret = newClientSecret();
  const [row] = await db
    .update(oauthClients)
    .set({ secretHash: await hashSecret(clientSecret), updatedAt: now, tokensValidAfter: now })
    .where(eq(oauthClients.clientId, clientId))
    .returning();
  return { client: toInfo(row as typeof oauthClients.$inferSelect), clientSecret };
}

/** Marks the client deleted: no more tokens, its tokens refused; its request log stays. */
export async function deleteClient(db: Db, clientId: string, now: Date): Promise<void> {
  await getClient(db, clientId);
  await db
    .update(oauthClients)
    .set({ deletedAt: now, tokensValidAfter: now, updatedAt: now })
    .where(eq(oauthClients.clientId, clientId));
}

/** The JSON shape of a client in the admin API and the CLI (never a secret or its hash). */
export function clientJson(client: ClientInfo) {
  return {
    clientId: client.clientId,
    name: client.name,
    scopes: client.scopes,
    tokenLeniency: client.tokenLeniency,
    createdAt: client.createdAt.toISOString(),
    updatedAt: client.updatedAt.toISOString(),
    tokensValidAfter: client.tokensValidAfter?.toISOString() ?? null,
  };
}
