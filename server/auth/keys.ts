// Token-signing keys: loads the newest ES256 key from provider.signing_keys, or generates and stores one on first
// start; and the public JWKS route. Keys are read once at start, never per request.
import { desc, sql } from "drizzle-orm";
import type { Hono } from "hono";
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import type { AppEnv } from "../app-env.js";
import type { Db } from "../db/client.js";
import { signingKeys } from "../db/schema.js";

export const TOKEN_ALG = "ES256";

export interface TokenKeys {
  /** Key id of the signing key, sent as the JWT `kid` header. */
  kid: string;
  alg: "ES256";
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** Public keys of every stored key (signing key first), as served at /.well-known/jwks.json. */
  jwks: { keys: JWK[] };
}

/** A fixed advisory-lock key: serialises first-start key creation across processes sharing one Postgres. */
const KEY_CREATION_LOCK = 7_310_211_101;

/** Public members of an EC JWK only; never lets `d` through, whatever is stored. */
function publicMembers(jwk: Record<string, unknown>, kid: string): JWK {
  const { kty, crv, x, y } = jwk as JWK;
  return { kty, crv, x, y, kid, alg: TOKEN_ALG, use: "sig" };
}

async function generateRow(): Promise<typeof signingKeys.$inferInsert> {
  const pair = await generateKeyPair(TOKEN_ALG, { extractable: true });
  const publicJwk = await exportJWK(pair.publicKey);
  const privateJwk = await exportJWK(pair.privateKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, alg: TOKEN_ALG, privateJwk: { ...privateJwk }, publicJwk: { ...publicJwk } };
}

/**
 * Returns the newest stored signing key, creating one when the table is empty. Two processes starting at once on
 * one Postgres agree on the same key: creation runs under a transaction-scoped advisory lock, the insert is
 * ON CONFLICT DO NOTHING, and both re-read the newest row.
 */
export async function loadOrCreateKeys(db: Db): Promise<TokenKeys> {
  const rows = await db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${KEY_CREATION_LOCK})`);
    const existing = await tx.select({ kid: signingKeys.kid }).from(signingKeys).limit(1);
    if (existing.length === 0) {
      await tx
        .insert(signingKeys)
        .values(await generateRow())
        .onConflictDoNothing();
    }
    return tx.select().from(signingKeys).orderBy(desc(signingKeys.createdAt), desc(signingKeys.kid));
  });
  const newest = rows[0];
  if (!newest) {
    throw new Error("no signing key could be stored in provider.signing_keys");
  }
  if (newest.alg !== TOKEN_ALG) {
    throw new Error(`newest signing key ${newest.kid} uses ${newest.alg}; only ${TOKEN_ALG} is supported`);
  }
  const privateKey = (await importJWK(newest.privateJwk as JWK, TOKEN_ALG)) as CryptoKey;
  const publicKey = (await importJWK(newest.publicJwk as JWK, TOKEN_ALG, { extractable: true })) as CryptoKey;
  return {
    kid: newest.kid,
    alg: TOKEN_ALG,
    privateKey,
    publicKey,
    jwks: { keys: rows.filter((r) => r.alg === TOKEN_ALG).map((r) => publicMembers(r.publicJwk, r.kid)) },
  };
}

/** GET /.well-known/jwks.json: the public keys that verify our tokens (RFC 7517 §5). */
export function registerJwksRoute(app: Hono<AppEnv>, keys: TokenKeys): void {
  app.get("/.well-known/jwks.json", (c) => {
    c.header("Cache-Control", "public, max-age=300");
    return c.json(keys.jwks);
  });
}
