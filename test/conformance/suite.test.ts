// The conformance runner against a small fake provider behind an injected fetchFn: findings carry their proof,
// secrets never reach a report, strict versus lenient judging, suite bugs are loud, cleanups always run.
import { describe, expect, test } from "vitest";
import { Blocked, type Check, CheckFailure } from "../../conformance/check.js";
import type { FetchFn } from "../../conformance/context.js";
import { formatJson, formatJUnit, formatText } from "../../conformance/report.js";
import {
  blockedIds,
  exitCodeFor,
  failedIds,
  runChecks,
  selectChecks,
  unknownSelectors,
} from "../../conformance/run.js";
import { recordProblems } from "../../oneroster/client/index.js";

const ORIGIN = "http://fake.test";
const BASE = `${ORIGIN}/ims/oneroster/v1p1`;
const TOKEN = "tok-SECRET-access-token-value";
const SECRET = "client-SECRET-value";
const target = { baseUrl: BASE, tokenUrl: `${ORIGIN}/oauth/token`, clientId: "fake-client", clientSecret: SECRET };

interface FakeOptions {
  /** Accept any request without checking the bearer token. */
  authOff?: boolean;
  /** Answer 404 with a bare 1.2-style imsx_StatusInfo and the 1.1 prose codeMinor "unknown object". */
  proseErrors?: boolean;
  users?: Record<string, unknown>[];
}

const user = (id: string, over: Record<string, unknown> = {}) => ({
  sourcedId: id,
  status: "active",
  dateLastModified: "2026-01-01T00:00:00.000Z",
  username: `user${id}`,
  enabledUser: true,
  givenName: "Ann",
  familyName: `Family ${id}`,
  role: "student",
  orgs: [{ href: `${BASE}/orgs/s1`, sourcedId: "s1", type: "org" }],
  ...over,
});

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

const notFound = (prose = false) =>
  prose
    ? json(404, {
        imsx_codeMajor: "failure",
        imsx_severity: "error",
        imsx_CodeMinor: {
          imsx_codeMinorField: [
            { imsx_codeMinorFieldName: "TargetEndSystem", imsx_codeMinorFieldValue: "unknown object" },
          ],
        },
      })
    : json(404, {
        statusInfoSet: [{ imsx_codeMajor: "failure", imsx_severity: "error", imsx_codeMinor: "unknownobject" }],
      });

/** A fake provider: a token endpoint and /users, /students and /users/{id}; everything else is 404. */
function fakeProvider(options: FakeOptions = {}): FetchFn {
  const users = options.users ?? [user("u1"), user("u2"), user("u3")];
  return async (input, init) => {
    const url = new URL(input);
    const headers = new Headers(init?.headers);
    if (url.pathname === "/oauth/token") {
      const basic = `Basic ${Buffer.from(`fake-client:${SECRET}`).toString("base64")}`;
      if (headers.get("authorization") !== basic) {
        return json(401, { error: "invalid_client" }, { "www-authenticate": "Basic" });
      }
      return json(
        200,
        { access_token: TOKEN, token_type: "bearer", expires_in: 3600 },
        { "cache-control": "no-store" },
      );
    }
    if (!options.authOff && headers.get("authorization") !== `Bearer ${TOKEN}`) {
      return json(401, {
        statusInfoSet: [{ imsx_codeMajor: "failure", imsx_severity: "error", imsx_codeMinor: "unauthorisedrequest" }],
      });
    }
    const path = url.pathname.slice("/ims/oneroster/v1p1".length);
    const limit = Number(url.searchParams.get("limit") ?? 100);
    const offset = Number(url.searchParams.get("offset") ?? 0);
    if (path === "/users" || path === "/students") {
      return json(200, { users: users.slice(offset, offset + limit) }, { "x-total-count": String(users.length) });
    }
    const single = /^\/users\/([^/]+)$/.exec(path);
    const found = single && users.find((u) => u.sourcedId === decodeURIComponent(single[1] ?? ""));
    return found ? json(200, { user: found }) : notFound(options.proseErrors);
  };
}

describe("conformance runner against a fake provider", () => {
  test("reports a rule the provider breaks with the request and the response that prove it", async () => {
    const report = await runChecks({
      ...target,
      fetchFn: fakeProvider({ authOff: true }),
      profile: "rostering-core",
      only: ["AUTH-002", "AUTH-004"],
    });
    expect(failedIds(report)).toEqual(["AUTH-002", "AUTH-004"]);
    const problem = report.results[0]?.problems?.[0];
    expect(problem?.message).toMatch(/expected HTTP 401, got 404|expected HTTP 401, got 200/);
    expect(problem?.exchange?.request).toMatchObject({ method: "GET", url: `${BASE}/academicSessions` });
    expect(problem?.exchange?.request.headers.authorization).toBeUndefined();
    expect(problem?.exchange?.response?.status).toBeGreaterThan(0);
  });

  test("passes the same auth checks against a provider that enforces tokens", async () => {
    const report = await runChecks({
      ...target,
      fetchFn: fakeProvider(),
      profile: "rostering-core",
      only: ["AUTH-001", "AUTH-002", "AUTH-003", "AUTH-004", "AUTH-005", "AUTH-009", "AUTH-010", "AUTH-013"],
    });
    expect(report.results.map((r) => [r.id, r.status])).toEqual([
      ["AUTH-001", "pass"],
      ["AUTH-002", "pass"],
      ["AUTH-003", "pass"],
      ["AUTH-004", "pass"],
      ["AUTH-005", "pass"],
      ["AUTH-009", "pass"],
      ["AUTH-010", "pass"],
      ["AUTH-013", "pass"],
    ]);
    expect(exitCodeFor(report)).toBe(0);
  });

  test("never writes the access token or the client secret into any report format", async () => {
    const report = await runChecks({
      ...target,
      fetchFn: fakeProvider({ users: [user("u1", { enabledUser: "yes" })] }),
      profile: "rostering-core",
      only: ["AUTH-001", "AUTH-005", "END-004", "SGL-003"],
    });
    expect(failedIds(report)).toContain("END-004");
    for (const text of [formatJson(report), formatText(report, { color: false }), formatJUnit(report)]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(Buffer.from(`fake-client:${SECRET}`).toString("base64"));
    }
  });

  test("accepts both boolean spellings by default and insists on one only when told to (--booleans)", async () => {
    const fetchFn = fakeProvider({ users: [user("u1", { enabledUser: "true" }), user("u2")] });
    const either = await runChecks({ ...target, fetchFn, profile: "rostering-core", only: ["END-004"] });
    expect(either.results[0]?.status).toBe("pass");
    const json = await runChecks({
      ...target,
      fetchFn,
      profile: "rostering-core",
      only: ["END-004"],
      booleans: "json",
    });
    const finding = json.results[0];
    expect(finding?.status).toBe("fail");
    expect(finding?.message).toMatch(/getAllUsers .*u1: enabledUser/);
    expect(finding?.problems?.[0]?.proof).toMatchObject({ record: { sourcedId: "u1", enabledUser: "true" } });
    const string = await runChecks({
      ...target,
      fetchFn,
      profile: "rostering-core",
      only: ["END-004"],
      booleans: "string",
    });
    expect(string.results[0]?.message).toMatch(/u2: enabledUser/);
    expect(string.results[0]?.message).not.toMatch(/u1:/);
  });

  test("flags records outside a subset endpoint's subset", async () => {
    const report = await runChecks({
      ...target,
      fetchFn: fakeProvider({ users: [user("u1"), user("t1", { role: "teacher" })] }),
      profile: "rostering-core",
      only: ["END-005"],
    });
    expect(report.results[0]?.status).toBe("fail");
    expect(report.results[0]?.message).toMatch(/getAllStudents .*1 record\(s\) with role other than "student"/);
  });

  test("stops at the preflight with one message when the token endpoint cannot be reached: no check runs, exit code 3", async () => {
    const refusing: FetchFn = async () => {
      throw new TypeError("fetch failed");
    };
    const report = await runChecks({ ...target, fetchFn: refusing, profile: "rostering-core" });
    expect(report.results).toEqual([]);
    expect(report.preflightFailure).toMatchObject({
      stage: "token",
      message: expect.stringMatching(
        /^cannot reach the token endpoint http:\/\/fake\.test\/oauth\/token: TypeError: fetch failed/,
      ),
    });
    expect(report.requestCount).toBe(1);
    expect(exitCodeFor(report)).toBe(3);
    expect(formatText(report, { color: false })).toContain("ABORTED before any check ran (preflight, token)");
    const xml = formatJUnit(report);
    expect(xml.match(/<testcase /g)).toHaveLength(1);
    expect(xml).toMatch(/<error message="cannot reach the token endpoint/);
  });

  test("stops at the preflight when the client secret is wrong, naming the secret variable and never the secret", async () => {
    const report = await runChecks({
      ...target,
      clientSecret: "not-it",
      fetchFn: fakeProvider(),
      profile: "rostering-core",
    });
    expect(report.results).toEqual([]);
    expect(report.preflightFailure?.stage).toBe("token");
    expect(report.preflightFailure?.message).toMatch(
      /refused the client credentials \(HTTP 401 invalid_client\): check the client id and the secret \(ONEROSTER_CLIENT_ID, ONEROSTER_CLIENT_SECRET\)/,
    );
    expect(formatJson(report)).not.toContain("not-it");
    expect(exitCodeFor(report)).toBe(3);
  });

  test("stops at the preflight when no collection of the profile can be read under the base URL", async () => {
    const report = await runChecks({
      ...target,
      baseUrl: `${ORIGIN}/wrong/base`,
      fetchFn: fakeProvider(),
      profile: "rostering-core",
    });
    expect(report.preflightFailure?.stage).toBe("read");
    expect(report.preflightFailure?.message).toMatch(
      /^no collection of the profile could be read under http:\/\/fake\.test\/wrong\/base \(\/academicSessions: 404, .*\/users: 404\): check --base-url/,
    );
  });

  test("reports a crash inside a check as a suite bug with exit code 2, beside the checks that ran", async () => {
    const crash: Check = {
      id: "TST-001",
      title: "MUST not crash",
      section: "§0",
      area: "errors",
      profiles: ["rostering-core"],
      run: async () => JSON.parse("{"),
    };
    const report = await runChecks({
      ...target,
      fetchFn: fakeProvider(),
      profile: "rostering-core",
      checks: [crash, ...selectChecks("rostering-core").filter((c) => c.id === "AUTH-001")],
    });
    expect(report.results.map((r) => [r.id, r.status])).toEqual([
      ["TST-001", "error"],
      ["AUTH-001", "pass"],
    ]);
    expect(report.results[0]?.message).toMatch(/^suite bug: SyntaxError/);
    expect(exitCodeFor(report)).toBe(2);
  });

  test("skips write checks without --allow-writes and runs every cleanup even after a failed check", async () => {
    const cleaned: string[] = [];
    const writer: Check = {
      id: "TST-002",
      title: "MUST survive a failing write",
      section: "§7",
      area: "gradebook-writes",
      profiles: ["gradebook"],
      writes: true,
      async run(ctx) {
        ctx.addCleanup("first", async () => {
          cleaned.push("first");
        });
        ctx.addCleanup("second", async () => {
          cleaned.push("second");
          throw new Error("provider refused");
        });
        throw new CheckFailure({ message: "write refused" });
      },
    };
    // The fake provider serves no gradebook collection, so the preflight is left out of this runner test.
    const without = await runChecks({
      ...target,
      fetchFn: fakeProvider(),
      profile: "gradebook",
      checks: [writer],
      preflight: false,
    });
    expect(without.results[0]).toMatchObject({ status: "skip", message: expect.stringMatching(/--allow-writes/) });
    expect(cleaned).toEqual([]);
    const withWrites = await runChecks({
      ...target,
      fetchFn: fakeProvider(),
      profile: "gradebook",
      checks: [writer],
      allowWrites: true,
      preflight: false,
    });
    expect(withWrites.results[0]?.status).toBe("fail");
    expect(cleaned).toEqual(["second", "first"]);
    expect(withWrites.cleanupFailures).toEqual(["second: provider refused"]);
  });

  test("sets exit code 1 for a MUST failure, and for a SHOULD failure only with --fail-on should", async () => {
    const should: Check = {
      id: "TST-003",
      title: "SHOULD fail",
      section: "§0",
      area: "errors",
      profiles: ["rostering-core"],
      run: async () => Promise.reject(new CheckFailure({ message: "no" })),
    };
    const must: Check = { ...should, id: "TST-004", title: "MUST fail" };
    const onlyShould = await runChecks({
      ...target,
      fetchFn: fakeProvider(),
      profile: "rostering-core",
      checks: [should],
    });
    expect(exitCodeFor(onlyShould)).toBe(0);
    expect(exitCodeFor(onlyShould, "should")).toBe(1);
    const withMust = await runChecks({
      ...target,
      fetchFn: fakeProvider(),
      profile: "rostering-core",
      checks: [should, must],
    });
    expect(exitCodeFor(withMust)).toBe(1);
    expect(withMust.summary.MUST).toEqual({ pass: 0, fail: 1, skip: 0, blocked: 0, error: 0 });
    expect(withMust.summary.SHOULD).toEqual({ pass: 0, fail: 1, skip: 0, blocked: 0, error: 0 });
  });

  test("writes JUnit XML with one testcase per selected check, failures and skips marked", async () => {
    const report = await runChecks({
      ...target,
      fetchFn: fakeProvider({ authOff: true }),
      profile: "rostering-core",
      only: ["AUTH-001", "AUTH-002", "AUTH-006"],
    });
    const xml = formatJUnit(report);
    expect(xml.match(/<testcase /g)).toHaveLength(3);
    expect(xml).toMatch(
      /<testcase[^>]*name="AUTH-002 MUST answer 401[^"]*"[^>]*>\s*<properties>[\s\S]*?<failure message="/,
    );
    expect(xml).toMatch(/name="AUTH-006[^"]*"[^>]*>[\s\S]*?<skipped\/>/);
    expect(xml).toMatch(/<testsuites[^>]*tests="3"[^>]*failures="1"/);
  });

  test("keeps the JUnit XML well-formed when a finding carries control characters a provider echoed", async () => {
    const echo: Check = {
      id: "TST-005",
      title: "MUST echo nicely",
      section: "§0",
      area: "errors",
      profiles: ["rostering-core"],
      run: async () => Promise.reject(new CheckFailure({ message: "body held \u0000 and \u001b[31m and 🎓" })),
    };
    const report = await runChecks({ ...target, fetchFn: fakeProvider(), profile: "rostering-core", checks: [echo] });
    const xml = formatJUnit(report);
    expect(xml.includes("\u0000") || xml.includes("\u001b")).toBe(false);
    expect(xml).toContain("🎓");
  });

  test("groups the text report by area, summarises by level, and colours only when asked", async () => {
    const report = await runChecks({
      ...target,
      fetchFn: fakeProvider({ authOff: true }),
      profile: "rostering-core",
      only: ["AUTH-002", "SGL-003"],
    });
    const plain = formatText(report, { color: false });
    expect(plain).not.toContain("\u001b[");
    expect(plain.indexOf("\nauth\n")).toBeLessThan(plain.indexOf("\nsingle-reads\n"));
    expect(plain).toMatch(/MUST {3}1 passed, 1 failed, 0 blocked, 0 skipped/);
    expect(plain).toMatch(/→ GET http:\/\/fake\.test\/ims\/oneroster\/v1p1\/academicSessions/);
    expect(plain).toContain("FAIL: 1 MUST check(s) failed");
    expect(formatText(report, { color: true })).toContain("\u001b[");
  });

  test("reads 1.2-style bare status payloads and prose codeMinor spellings only with --lenient", async () => {
    const fetchFn = fakeProvider({ proseErrors: true });
    const strict = await runChecks({ ...target, fetchFn, profile: "rostering-core", only: ["SGL-003", "SGL-004"] });
    expect(strict.results.map((r) => [r.id, r.status])).toEqual([
      ["SGL-003", "pass"],
      ["SGL-004", "fail"],
    ]);
    expect(strict.results[1]?.problems?.[0]?.message).toMatch(/--lenient accepts other spellings/);
    const lenient = await runChecks({
      ...target,
      fetchFn,
      profile: "rostering-core",
      only: ["SGL-004"],
      lenient: true,
    });
    expect(lenient.results[0]?.status).toBe("pass");
  });

  test("judges GUIDRef types exactly by default and by compatible family with --lenient", () => {
    const klass = {
      sourcedId: "c1",
      status: "active",
      dateLastModified: "2026-01-01T00:00:00Z",
      title: "Algebra",
      classType: "scheduled",
      course: { href: `${BASE}/courses/k1`, sourcedId: "k1", type: "course" },
      school: { href: `${BASE}/orgs/s1`, sourcedId: "s1", type: "org" },
      terms: [{ href: `${BASE}/academicSessions/t1`, sourcedId: "t1", type: "term" }],
    };
    expect(recordProblems("class", klass)).toEqual([
      'terms.0.type: "term" is not a reference to a academicSession (lenient mode accepts compatible types)',
    ]);
    expect(recordProblems("class", klass, { lenient: true })).toEqual([]);
    const wrongKind = { ...klass, school: { ...klass.school, type: "course" } };
    expect(recordProblems("class", wrongKind, { lenient: true })).toEqual([
      'school.type: "course" is not a reference to a org',
    ]);
  });

  test("selects checks by profile: rostering-core leaves out gradebook and relationship-only checks", () => {
    const core = selectChecks("rostering-core").map((c) => c.id);
    expect(core).toContain("PAG-002");
    expect(core).not.toContain("GBW-001");
    expect(core).not.toContain("AUTH-008");
    expect(selectChecks("rostering").map((c) => c.id)).toContain("AUTH-008");
    expect(selectChecks("gradebook").map((c) => c.id)).toContain("GBW-001");
  });
});

/** A synthetic check for runner tests: fails, passes, is blocked by `blocker`, or passes in part. */
function synthetic(
  id: string,
  level: "MUST" | "SHOULD",
  behaviour: "fail" | "pass" | { blockedBy: string } | { partial: string[] },
): Check {
  return {
    id,
    title: `${level} behave (${id})`,
    section: "§0",
    area: "errors",
    profiles: ["rostering-core"],
    async run() {
      if (behaviour === "fail") {
        throw new CheckFailure({ message: `${id} found a defect` });
      }
      if (behaviour === "pass") {
        return undefined;
      }
      if ("blockedBy" in behaviour) {
        throw new Blocked(behaviour.blockedBy, { message: `${id} needs what ${behaviour.blockedBy} owns` });
      }
      return { partial: behaviour.partial };
    },
  };
}

describe("conformance runner: root causes, blocked checks, partial passes and JUnit", () => {
  const run = (checks: Check[], extra: Partial<Parameters<typeof runChecks>[0]> = {}) =>
    runChecks({ ...target, fetchFn: fakeProvider(), profile: "rostering-core", checks, ...extra });

  test("reports a check whose prerequisite failed as blocked by it, and leads the report with one root cause", async () => {
    const report = await run([
      synthetic("TST-010", "MUST", "fail"),
      synthetic("TST-011", "MUST", { blockedBy: "TST-010" }),
      synthetic("TST-012", "MUST", { blockedBy: "TST-011" }),
      synthetic("TST-013", "SHOULD", "fail"),
    ]);
    expect(failedIds(report)).toEqual(["TST-010", "TST-013"]);
    expect(blockedIds(report)).toEqual(["TST-011<TST-010", "TST-012<TST-011"]);
    expect(report.rootCauses).toEqual([
      { id: "TST-010", level: "MUST", title: "MUST behave (TST-010)", blocks: ["TST-011", "TST-012"] },
      { id: "TST-013", level: "SHOULD", title: "SHOULD behave (TST-013)", blocks: [] },
    ]);
    const text = formatText(report, { color: false });
    expect(text.indexOf("Root causes: 2 defects (1 MUST, 1 SHOULD), 4 checks affected")).toBeLessThan(
      text.indexOf("\nerrors\n"),
    );
    expect(text).toContain("✗ TST-010 MUST behave (TST-010) — blocks 2: TST-011, TST-012");
    expect(text).toContain("blocked by TST-010: TST-011 needs what TST-010 owns");
    expect(text).toMatch(/MUST {3}0 passed, 1 failed, 2 blocked, 0 skipped/);
    expect(exitCodeFor(report)).toBe(1);
  });

  test("never hides a broken prerequisite: a block by a check that passed or was not selected is a failure", async () => {
    const report = await run([
      synthetic("TST-020", "MUST", "pass"),
      synthetic("TST-021", "MUST", { blockedBy: "TST-020" }),
      synthetic("TST-022", "MUST", { blockedBy: "TST-099" }),
    ]);
    expect(blockedIds(report)).toEqual([]);
    expect(failedIds(report)).toEqual(["TST-021", "TST-022"]);
    expect(report.results[2]?.message).toBe(
      "TST-022 needs what TST-099 owns (a prerequisite owned by TST-099, which was not selected)",
    );
    expect(exitCodeFor(report)).toBe(1);
  });

  test("marks a check that could not exercise everything as passed only in part, in text, JSON and JUnit", async () => {
    const report = await run([synthetic("TST-030", "MUST", { partial: ["getX: no parent record to call it with"] })]);
    expect(report.results[0]).toMatchObject({ status: "pass", partial: ["getX: no parent record to call it with"] });
    const text = formatText(report, { color: false });
    expect(text).toContain("passed only in part; not exercised (1):");
    expect(text).toMatch(/MUST {3}1 passed \(1 only in part\)/);
    expect(formatJUnit(report)).toMatch(/<property name="partial" value="1"\/>/);
  });

  test("writes JUnit whose failures agree with the exit code: a SHOULD finding is skipped with a property unless --fail-on should", async () => {
    const report = await run([
      synthetic("TST-040", "SHOULD", "fail"),
      synthetic("TST-041", "MUST", "pass"),
      synthetic("TST-042", "MUST", { blockedBy: "TST-040" }),
    ]);
    const byDefault = formatJUnit(report);
    expect(exitCodeFor(report)).toBe(0);
    expect(byDefault).toMatch(/<testsuites[^>]*failures="0"/);
    expect(byDefault).toMatch(
      /name="TST-040[^"]*"[^>]*>[\s\S]*?<property name="finding" value="SHOULD not met"\/>[\s\S]*?<skipped\/>/,
    );
    expect(byDefault).toMatch(/name="TST-042[^"]*"[^>]*>[\s\S]*?<property name="blocked-by" value="TST-040"\/>/);
    const strict = formatJUnit(report, { failOn: "should" });
    expect(exitCodeFor(report, "should")).toBe(1);
    expect(strict).toMatch(/<testsuites[^>]*failures="1"/);
  });

  test("selects checks by id or by area with --only and --skip, and names selectors that match nothing", () => {
    const paging = selectChecks("all", undefined, ["paging"]).map((c) => c.id);
    expect(paging.length).toBeGreaterThan(5);
    expect(paging.every((id) => id.startsWith("PAG-"))).toBe(true);
    const mixed = selectChecks("all", undefined, ["paging", "AUTH-001"], ["PAG-001"]).map((c) => c.id);
    expect(mixed[0]).toBe("AUTH-001");
    expect(mixed).not.toContain("PAG-001");
    expect(
      selectChecks("all", undefined, undefined, ["gradebook-writes", "auth"]).some((c) => /^(GBW|AUTH)-/.test(c.id)),
    ).toBe(false);
    expect(unknownSelectors(["paging", "PAG-001", "PAG-999", "pagination"])).toEqual(["PAG-999", "pagination"]);
  });
});
