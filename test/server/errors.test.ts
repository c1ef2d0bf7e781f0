// The one error renderer (notes §5): an unexpected failure becomes a generic 500 status payload with a request
// id, and exactly one log line that carries the cause — never a stack trace to the client.
import { expect, it } from "vitest";
import { readStatusInfo } from "../../oneroster/index.js";
import { createLogger } from "../../server/log.js";
import { openTestDb } from "../support/db.js";
import { startProvider } from "../support/server.js";

it("turns an unexpected exception into a generic 500 payload plus one log line with the request id", async () => {
  const lines: string[] = [];
  const db = await openTestDb("pglite");
  const provider = await startProvider(db.handle, { log: createLogger("error", (l) => lines.push(l)) });
  try {
    const token = await provider.token();
    await db.handle.close(); // the database goes away under a running server
    const res = await fetch(`${provider.baseUrl}/users`, {
      headers: { authorization: `Bearer ${token}`, "x-request-id": "req-500" },
    });
    expect(res.status).toBe(500);
    const body = await res.json();
    expect(readStatusInfo(body)[0]).toMatchObject({
      codeMajor: "failure",
      severity: "error",
      codeMinor: "internalservererror",
    });
    const text = JSON.stringify(body);
    expect(text).toContain("req-500");
    expect(text).not.toMatch(/\.ts:\d+|at [A-Za-z]+ \(|PGlite|closed/i);
    expect(lines).toHaveLength(1);
    const logged = JSON.parse(lines[0] ?? "{}");
    expect(logged).toMatchObject({
      level: "error",
      requestId: "req-500",
      method: "GET",
      path: "/ims/oneroster/v1p1/users",
    });
    expect(logged.error).toBeTruthy();
    expect(lines[0]).not.toContain(token);
  } finally {
    await provider.close();
    await db.close();
  }
});
