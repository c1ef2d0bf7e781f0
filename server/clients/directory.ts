// The hot-path view of OAuth clients for data requests: which tokens are revoked because their client was deleted or
// its secret rotated after they were issued. Read from the database, cached for a second, dropped on own writes.
import { isNotNull } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { oauthClients } from "../db/schema.js";

const CACHE_MS = 1000;

export interface ClientDirectory {
  /** Why a token of this client issued at `issuedAtMs` is refused, or undefined when it is not. */
  revoked(clientId: string, issuedAtMs: number | undefined): Promise<string | undefined>;
  /**
   * revoked() without waiting: the reason, or false when the token stands; null when the view held is more than a
   * second old (ask revoked() then).
   */
  revokedCached(clientId: string, issuedAtMs: number | undefined): string | false | null;
  /** Forget the cached view (after a write through this process). */
  invalidate(): void;
}

interface Cutoff {
  afterMs: number;
  deleted: boolean;
}

export function createClientDirectory(db: Db): ClientDirectory {
  let cached: { at: number; cutoffs: Map<string, Cutoff> } | undefined;
  const load = async () => {
    const now = performance.now();
    if (!cached || now - cached.at >= CACHE_MS) {
      // Only clients with a cut-off matter; the rest are served without a lookup.
      const rows = await db
        .select({
          clientId: oauthClients.clientId,
          after: oauthClients.tokensValidAfter,
          deletedAt: oauthClients.deletedAt,
        })
        .from(oauthClients)
        .where(isNotNull(oauthClients.tokensValidAfter));
      cached = {
        at: now,
        cutoffs: new Map(
          rows.map((r) => [r.clientId, { afterMs: r.after?.getTime() ?? 0, deleted: r.deletedAt !== null }]),
        ),
      };
    }
    return cached.cutoffs;
  };
  const verdict = (cutoffs: Map<string, Cutoff>, clientId: string, issuedAtMs: number | undefined) => {
    const cutoff = cutoffs.get(clientId);
    if (!cutoff) {
      return undefined;
    }
    if (cutoff.deleted) {
      return "token revoked: its client was deleted";
    }
    // `iat` has whole seconds: a token from the second of the rotation is still accepted.
    if ((issuedAtMs ?? 0) < Math.floor(cutoff.afterMs / 1000) * 1000) {
      return "token revoked: the client's secret was rotated after it was issued; request a new token";
    }
    return undefined;
  };
  return {
    async revoked(clientId, issuedAtMs) {
      return verdict(await load(), clientId, issuedAtMs);
    },
    revokedCached(clientId, issuedAtMs) {
      return cached && performance.now() - cached.at < CACHE_MS
        ? (verdict(cached.cutoffs, clientId, issuedAtMs) ?? false)
        : null;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
