// `rosterlab serve` with the default in-memory database (issue 12, item 2): the first start seeds and keeps a
// snapshot, a second start of the same district restores it and serves the same records, another district seeds
// again, and a damaged snapshot is reported and replaced. The real CLI in child processes; no timing asserted.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childProcessEnv } from "../setup/env.js";

const CLI = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "rosterlab.js");

interface Started {
  start: string;
  stderr: string;
  /** sourcedIds of the first page of users, as served. */
  userIds: string[];
  /** The lineItem deleted over HTTP right after start (with `deleteLineItem`), and how it then read. */
  deleted?: { id: string; status: number };
  /** How the `lineItem` option's id read. */
  lineItem?: { status: number; recordStatus: string | undefined };
}

interface ServeActions {
  /** DELETE the first lineItem as soon as the provider answers. */
  deleteLineItem?: boolean;
  /** GET this lineItem. */
  lineItem?: string;
}

/** Starts `serve --json` on a free port, reads one page of users over HTTP, and stops it with SIGTERM. */
async function serveOnce(snapshotDir: string, extra: string[] = [], actions: ServeActions = {}): Promise<Started> {
  const child = spawn(
    process.execPath,
    [CLI, "serve", "--port", "0", "--json", "--size", "tiny", "--snapshot-dir", snapshotDir, ...extra],
    { env: { ...childProcessEnv(), NO_COLOR: "1", ROSTERLAB_LOG: "error" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    const ready = await new Promise<Record<string, string>>((resolve, reject) => {
      let stdout = "";
      child.stdout.on("data", (d) => {
        stdout += d;
        if (stdout.includes("\n")) {
          resolve(JSON.parse(stdout.split("\n")[0] as string) as Record<string, string>);
        }
      });
      void exited.then(() => reject(new Error(`serve exited before it was ready: ${stderr}`)));
    });
    const basic = Buffer.from(`${ready.clientId}:${ready.clientSecret}`).toString("base64");
    const token = (await (
      await fetch(ready.tokenUrl as string, {
        method: "POST",
        headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
        body: "grant_type=client_credentials",
      })
    ).json()) as { access_token: string };
    const headers = { authorization: `Bearer ${token.access_token}` };
    let deleted: Started["deleted"];
    if (actions.deleteLineItem) {
      const items = (await (await fetch(`${ready.baseUrl}/lineItems?limit=1`, { headers })).json()) as {
        lineItems: { sourcedId: string }[];
      };
      const id = items.lineItems[0]?.sourcedId as string;
      expect((await fetch(`${ready.baseUrl}/lineItems/${id}`, { method: "DELETE", headers })).status).toBe(204);
      deleted = { id, status: (await fetch(`${ready.baseUrl}/lineItems/${id}`, { headers })).status };
    }
    let lineItem: Started["lineItem"];
    if (actions.lineItem) {
      const read = await fetch(`${ready.baseUrl}/lineItems/${actions.lineItem}`, { headers });
      const text = await read.text();
      lineItem = {
        status: read.status,
        recordStatus:
          read.status === 200 ? (JSON.parse(text) as { lineItem: { status: string } }).lineItem.status : undefined,
      };
    }
    const page = await fetch(`${ready.baseUrl}/users?limit=5`, { headers });
    expect(page.status).toBe(200);
    const body = (await page.json()) as { users: { sourcedId: string }[] };
    // A stop waits for the snapshot to be written, so everything serve says is in by the time it exits.
    child.kill("SIGTERM");
    await exited;
    return {
      start: ready.start as string,
      stderr,
      userIds: body.users.map((u) => u.sourcedId),
      ...(deleted ? { deleted } : {}),
      ...(lineItem ? { lineItem } : {}),
    };
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

describe("serve keeps and restores a snapshot of the seeded in-memory district", { timeout: 240_000 }, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "rl-serve-snapshot-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("seeds on a first start, restores on a second, reseeds for another district, and replaces a damaged one", async () => {
    // The first start's client deletes a lineItem at once: the snapshot is of the district as seeded, so the
    // second start still has it, whenever the snapshot was written.
    const first = await serveOnce(dir, [], { deleteLineItem: true });
    expect(first.start).toBe("seeded");
    expect(first.deleted?.status).toBe(404);
    expect(first.stderr).toMatch(/^seeding the tiny district \(seed 1, .*: no snapshot in .* yet$/m);
    expect(first.stderr).toMatch(/^kept a snapshot of the tiny district/m);

    const second = await serveOnce(dir, [], { lineItem: first.deleted?.id as string });
    expect(second.start).toBe("restored");
    expect(second.lineItem).toEqual({ status: 200, recordStatus: "active" });
    expect(second.stderr).toMatch(/^restored district snapshot: the tiny district \(seed 1, /m);
    expect(second.stderr).not.toMatch(/kept a snapshot/);
    expect(second.userIds).toEqual(first.userIds);

    const other = await serveOnce(dir, ["--seed", "2"]);
    expect(other.start).toBe("seeded");
    expect(other.stderr).toMatch(/another build or district \(seed 1 \(now 2\)\)/);

    // The snapshot is now of seed 2; damage it and start seed 2 again.
    const manifest = JSON.parse(await readFile(join(dir, "snapshot.json"), "utf8")) as { sha256: string };
    await writeFile(join(dir, "snapshot.json"), JSON.stringify({ ...manifest, sha256: "0".repeat(64) }));
    const damaged = await serveOnce(dir, ["--seed", "2"]);
    expect(damaged.start).toBe("seeded");
    expect(damaged.stderr).toMatch(/is damaged \(checksum mismatch\); it is discarded/);
    expect(damaged.userIds).toEqual(other.userIds);
    expect((await serveOnce(dir, ["--seed", "2"])).start).toBe("restored");
  });

  it("neither restores nor keeps a snapshot with --no-snapshot", async () => {
    const none = await mkdtemp(join(tmpdir(), "rl-serve-nosnapshot-"));
    try {
      const run = await serveOnce(none, ["--no-snapshot"]);
      expect(run.start).toBe("seeded");
      expect(run.stderr).not.toMatch(/snapshot/);
      await expect(readFile(join(none, "snapshot.json"))).rejects.toThrow(/ENOENT/);
    } finally {
      await rm(none, { recursive: true, force: true });
    }
  });
});
