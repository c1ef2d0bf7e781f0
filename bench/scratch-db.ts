// The bench's own Postgres database: created fresh on the server of BENCH_DATABASE_URL and dropped afterwards.
// Touches nothing but the one database it names.
import { openDb } from "../server/db/client.js";

export const SCRATCH_DB_NAME = "rosterlab_bench";
/** The Postgres server the benches use when BENCH_DATABASE_URL is not set (our machines' local server). */
export const DEFAULT_BENCH_PG_URL = "postgres://127.0.0.1:5432/test";

export interface ScratchDb {
  url: string;
  drop(): Promise<void>;
}

/** Recreates `rosterlab_bench` on the server `adminUrl` points at; returns its URL and a drop function. */
export async function openScratchDb(adminUrl: string, name = SCRATCH_DB_NAME): Promise<ScratchDb> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
    throw new Error(`scratch database name '${name}' is not a plain identifier`);
  }
  const admin = await openDb(adminUrl, { max: 1 });
  try {
    await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.exec(`CREATE DATABASE ${name}`);
  } finally {
    await admin.close();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const again = await openDb(adminUrl, { max: 1 });
      try {
        await again.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await again.close();
      }
    },
  };
}
