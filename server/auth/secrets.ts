// Client secrets: scrypt hashes with a random salt (only the hash is stored), constant-time verification, random
// credentials, and the upsert of an OAuth client. Used by the token route, main.ts and tests.
import { randomBytes, type ScryptOptions, scrypt as scryptCb, timingSafeEqual } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { oauthClients } from "../db/schema.js";

const KEY_LENGTH = 32;
const PARAMS = { N: 16384, r: 8, p: 1 } as const;

function scrypt(secret: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(secret, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** `scrypt$N$r$p$<salt b64url>$<hash b64url>`: self-describing, so parameters can be raised later. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(secret, salt, KEY_LENGTH, { ...PARAMS, maxmem: 64 * 1024 * 1024 });
  return ["scrypt", PARAMS.N, PARAMS.r, PARAMS.p, salt.toString("base64url"), hash.toString("base64url")].join("$");
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function parseHash(stored: string): ParsedHash | undefined {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") {
    return undefined;
  }
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4] ?? "", "base64url");
  const hash = Buffer.from(parts[5] ?? "", "base64url");
  const sane = (v: number | undefined): v is number => v !== undefined && Number.isInteger(v) && v > 0;
  if (!sane(N) || !sane(r) || !sane(p) || N > 1 << 20 || salt.length < 8 || hash.length < 16) {
    return undefined;
  }
  return { N, r, p, salt, hash };
}

let dummyHash: Promise<string> | undefined;

/**
 * True when `secret` matches `stored`. When `stored` is undefined (unknown client id) or unreadable, a dummy hash
 * is checked instead, so the answer takes the same time and an attacker cannot probe which client ids exist.
 */
export async function verifySecret(secret: string, stored: string | undefined): Promise<boolean> {
  const parsed = stored === undefined ? undefined : parseHash(stored);
  dummyHash ??= hashSecret(randomBytes(24).toString("base64url"));
  const target = parsed ?? (parseHash(await dummyHash) as ParsedHash);
  const candidate = await scrypt(secret, target.salt, target.hash.length, {
    N: target.N,
    r: target.r,
    p: target.p,
    maxmem: 256 * target.N * target.r + 16 * 1024 * 1024,
  });
  const equal = timingSafeEqual(candidate, target.hash);
  return equal && parsed !== undefined;
}

/** A random client id (16 bytes) and secret (32 bytes), both URL-safe base64 without padding. */
export function generateClientCredentials(): { clientId: string; clientSecret: string } {
  return { clientId: randomBytes(16).toString("base64url"), clientSecret: randomBytes(32).toString("base64url") };
}

export interface ClientRegistration {
  clientId: string;
  clientSecret: string;
  name: string;
  /** Scope URIs this client may be granted. */
  scopes: readonly string[];
  /** `strict` (RFC 6749 token requests only, the default) or `lenient` (deviations accepted and recorded). */
  tokenLeniency?: "strict" | "lenient";
}

/**
 * Creates the client or replaces its name, secret hash, scopes and leniency (and brings back a deleted one). Stores
 * only the hash of the secret.
 */
export async function ensureClient(db: Db, client: ClientRegistration): Promise<void> {
  const secretHash = await hashSecret(client.clientSecret);
  const scopes = [...new Set(client.scopes)];
  const tokenLeniency = client.tokenLeniency ?? "strict";
  await db
    .insert(oauthClients)
    .values({ clientId: client.clientId, name: client.name, secretHash, scopes, tokenLeniency })
    .onConflictDoUpdate({
      target: oauthClients.clientId,
      set: { name: client.name, secretHash, scopes, tokenLeniency, deletedAt: null, updatedAt: sql`now()` },
    });
}
