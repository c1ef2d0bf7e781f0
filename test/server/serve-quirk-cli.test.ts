// `rosterlab serve --quirk …` as a user runs it: transport fault presets with parameters are on from start, and a bad
// preset or parameter stops the command with exit code 2 and a message naming each problem.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { childProcessEnv } from "../setup/env.js";

const BIN = fileURLToPath(new URL("../../bin/rosterlab.js", import.meta.url));
const children: ChildProcess[] = [];

function serve(args: string[]): ChildProcess {
  // A clean environment (no DATABASE_URL): the child serves embedded PGlite, seeded afresh (no snapshot left behind).
  const env = { ...childProcessEnv(), ROSTERLAB_LOG: "silent" };
  const child = spawn(
    process.execPath,
    [BIN, "serve", "--port", "0", "--size", "tiny", "--json", "--no-snapshot", ...args],
    {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  children.push(child);
  return child;
}

async function firstLine(child: ChildProcess): Promise<string> {
  let text = "";
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    text += chunk.toString();
    if (text.includes("\n")) {
      return text.split("\n")[0] as string;
    }
  }
  throw new Error(`serve exited before printing its details: ${text}`);
}

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  }
});

describe("rosterlab serve --quirk", () => {
  it("serves with transport fault presets and their parameters on from start", { timeout: 120_000 }, async () => {
    const child = serve(["--quirk", "server-errors:every=2,burst=1,status=504", "no-total-count"]);
    const details = JSON.parse(await firstLine(child)) as Record<string, string>;
    const basic = Buffer.from(`${details.clientId}:${details.clientSecret}`).toString("base64");
    const tokenRes = await fetch(details.tokenUrl as string, {
      method: "POST",
      headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials",
    });
    const { access_token: token } = (await tokenRes.json()) as { access_token: string };
    const statuses: number[] = [];
    let totalHeader: string | null = "unset";
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${details.baseUrl}/orgs`, { headers: { authorization: `Bearer ${token}` } });
      statuses.push(res.status);
      if (res.status === 200) {
        totalHeader = res.headers.get("x-total-count");
      }
      await res.arrayBuffer();
    }
    expect(statuses).toEqual([200, 504, 200, 504]);
    expect(totalHeader).toBeNull();
  });

  it("refuses unknown presets and bad parameters with exit code 2, naming each", async () => {
    const child = serve(["--quirk", "bogus", "latency:ms=soon"]);
    let err = "";
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
    });
    const [code] = await once(child, "exit");
    expect(code).toBe(2);
    expect(err).toMatch(/--quirk bogus: unknown fault preset/);
    expect(err).toMatch(/--quirk latency:ms=soon: latency: ms/);
  });
});
