// The one error renderer (notes §5): an unexpected failure becomes a generic 500 status payload with a request
// id and exactly one log line that carries the cause but never SQL parameters (student ids, scores); a database
// engine that fails for good answers 503 from then on and reports itself to onFatal — never a 500 forever.
import { describe, expect, it } from "vitest";
import { readStatusInfo } from "../../oneroster/index.js";
import { createLogger } from "../../server/log.js";
import { openTestDb } from "../support/db.js";
import { useSeededProvider } from "../support/seeded-provider.js";
import { startProvider } from "../support/server.js";

it("turns an unexpected exception into a generic 500 payload plus one log line with the request id", async () => {
  const lines: string[] = [];
  const db = await openTestDb("pglite");
  const provider = await startProvider(db.handle, { log: createLogger("error", (l) => lines.push(l)) });
  try {
    const token = await provider.token();
    await db.handle.exec("DROP TABLE provider.users"); // the schema breaks under a running server
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
    expect(text).not.toMatch(/\.ts:\d+|at [A-Za-z]+ \(|PGlite|relation|users/i);
    expect(lines).toHaveLength(1);
    const logged = JSON.parse(lines[0] ?? "{}");
    expect(logged).toMatchObject({
      level: "error",
      requestId: "req-500",
      method: "GET",
      route: "/ims/oneroster/v1p1/users",
    });
    expect(logged.error).toBeTruthy();
    expect(lines[0]).not.toContain(token);
  } finally {
    await provider.close();
    await db.close();
  }
});

it("never writes SQL parameters to the log: no student id, no score, no comment", async () => {
  const lines: string[] = [];
  const db = await openTestDb("pglite");
  const provider = await startProvider(db.handle, { log: createLogger("error", (l) => lines.push(l)) });
  try {
    const token = await provider.token();
    const put = (path: string, body: unknown) =>
      fetch(`${provider.baseUrl}${path}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    // A district just big enough for one result, written straight into the tables.
    await db.handle.exec(`
      INSERT INTO provider.orgs (sourced_id, date_last_modified, name, type) VALUES ('sch-1', now(), 'S', 'school');
      INSERT INTO provider.academic_sessions (sourced_id, date_last_modified, title, start_date, end_date, type, school_year)
        VALUES ('gp-1', now(), 'GP', '2026-09-01', '2026-12-31', 'gradingPeriod', '2027');
      INSERT INTO provider.courses (sourced_id, date_last_modified, title, org_id) VALUES ('crs-1', now(), 'C', 'sch-1');
      INSERT INTO provider.classes (sourced_id, date_last_modified, title, class_type, course_id, school_id, term_ids)
        VALUES ('cls-1', now(), 'K', 'scheduled', 'crs-1', 'sch-1', '{gp-1}');
      INSERT INTO provider.users (sourced_id, date_last_modified, username, enabled_user, given_name, family_name, role, org_ids)
        VALUES ('student-secret-4711', now(), 'u', true, 'G', 'F', 'student', '{sch-1}');
      INSERT INTO provider.categories (sourced_id, date_last_modified, title) VALUES ('cat-1', now(), 'Cat');
      INSERT INTO provider.line_items (sourced_id, date_last_modified, title, assign_date, due_date, class_id,
        category_id, grading_period_id, result_value_min, result_value_max)
        VALUES ('li-1', now(), 'L', now(), now(), 'cls-1', 'cat-1', 'gp-1', 0, 100);
      ALTER TABLE provider.results ADD CONSTRAINT sabotage CHECK (score < 0) NOT VALID;
    `);
    const res = await put("/results/r-1", {
      result: {
        lineItem: { sourcedId: "li-1" },
        student: { sourcedId: "student-secret-4711" },
        scoreStatus: "fully graded",
        score: 87.125,
        scoreDate: "2026-09-10",
        comment: "comment-secret-0815",
      },
    });
    expect(res.status).toBe(500);
    expect(lines.length).toBeGreaterThan(0);
    const log = lines.join("\n");
    expect(log).toMatch(/sabotage|23514/);
    for (const secret of ["student-secret-4711", "87.125", "comment-secret-0815", "li-1"]) {
      expect(log).not.toContain(secret);
    }
  } finally {
    await provider.close();
    await db.close();
  }
});

describe("when the embedded engine crashes", () => {
  const fatal: unknown[] = [];
  const sp = useSeededProvider("pglite", { onFatal: (e) => fatal.push(e) });

  it("answers 503 from then on, never 500, and reports the failure once to onFatal", async () => {
    // Twice, so the page cache holds the page (it keeps a page from the second time it is asked for).
    expect((await sp.api("/orgs?limit=1")).status).toBe(200);
    expect((await sp.api("/orgs?limit=1")).status).toBe(200);
    // What a 1,500-deep jsonb once did through a PUT body (now refused at 400): crash PGlite's WASM engine.
    const deep = `${"[".repeat(1500)}${"]".repeat(1500)}`;
    await expect(sp.db.handle.exec(`SELECT '${deep}'::jsonb`)).rejects.toThrow();
    // The first request to reach the engine finds it dead; from then on even a cached page is not served.
    for (const path of ["/users/x", "/orgs?limit=1", "/categories"]) {
      const res = await sp.api(path);
      expect(res.status, path).toBe(503);
      expect(readStatusInfo(res.body)[0]?.description).toMatch(/engine has failed/);
    }
    expect((await fetch(`${sp.provider.origin}/health`)).status).toBe(503);
    expect(fatal).toHaveLength(1);
  });
});
