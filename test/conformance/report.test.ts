// What a person reading a run sees, against our own provider over HTTP: one root cause per defect with the checks it
// blocks, operations that could not be called listed as not exercised, a preflight that stops a hopeless run with one
// message, and profiles honoured in every request. A spy on fetch records requests; nothing of ours is mocked.
import { expect, test } from "vitest";
import { expandProfile, type ProfileChoice } from "../../conformance/check.js";
import { type FetchFn, scopesForProfiles } from "../../conformance/context.js";
import { formatText } from "../../conformance/report.js";
import { exitCodeFor, type RunOptions, runChecks } from "../../conformance/run.js";
import { ENDPOINTS } from "../../oneroster/index.js";
import type { QuirkName } from "../../server/faults/presets.js";
import { describeEachDb, describePrimaryDb } from "../support/each-db.js";
import { SEEDED_NOW, useSeededProvider } from "../support/seeded-provider.js";
import { startProvider, type TestProvider } from "../support/server.js";
import { createTickingClock } from "../support/ticking-clock.js";

function target(provider: TestProvider): Pick<RunOptions, "baseUrl" | "tokenUrl" | "clientId" | "clientSecret"> {
  return {
    baseUrl: provider.baseUrl,
    tokenUrl: provider.tokenUrl,
    clientId: provider.clientId,
    clientSecret: provider.clientSecret,
  };
}

/** A fetch that records every request (method, URL, form body) and passes it on. */
function recordingFetch(): { fetchFn: FetchFn; requests: { method: string; url: URL; body: string }[] } {
  const requests: { method: string; url: URL; body: string }[] = [];
  return {
    requests,
    fetchFn: (input, init) => {
      requests.push({ method: init?.method ?? "GET", url: new URL(input), body: String(init?.body ?? "") });
      return fetch(input, init);
    },
  };
}

describePrimaryDb("a conformance run as its reader sees it", (kind) => {
  const seeded = useSeededProvider(kind, { clock: createTickingClock(SEEDED_NOW) });

  async function withQuirk<T>(quirk: QuirkName, fn: (provider: TestProvider) => Promise<T>): Promise<T> {
    const provider = await startProvider(seeded.db.handle, {
      quirks: [quirk],
      clock: createTickingClock(SEEDED_NOW),
    });
    try {
      return await fn(provider);
    } finally {
      await provider.close();
    }
  }

  test("reports PUT unable to create as one root cause that blocks the checks building on it, not as 15 failures", async () => {
    const report = await withQuirk("put-cannot-create", (provider) =>
      runChecks({ ...target(provider), profile: "gradebook", allowWrites: true }),
    );
    expect(report.rootCauses.map((c) => `${c.id}: ${c.blocks.length}`)).toEqual(["GBW-001: 14"]);
    const text = formatText(report, { color: false });
    expect(text.split("\n")[1]).toBe("");
    expect(text.split("\n")[2]).toBe("Root causes: 1 defect (1 MUST), 15 checks affected");
    expect(text).toContain("blocked by GBW-001: PUT of a new category answered 404");
    expect(exitCodeFor(report)).toBe(1);
  }, 120_000);

  test("reports wrong envelope keys once (END-003) while every other check still finds the records", async () => {
    const report = await withQuirk("wrong-envelope", (provider) =>
      runChecks({ ...target(provider), profile: "rostering-core" }),
    );
    expect(report.rootCauses.map((c) => c.id)).toEqual(["END-003"]);
    expect(report.results.filter((r) => r.status === "blocked")).toEqual([]);
    expect(formatText(report, { color: false })).toContain("Root causes: 1 defect (1 MUST), 1 check affected");
  }, 120_000);

  test("lists operations it could not call as not exercised, with why, and passes END-001 only in part", async () => {
    const report = await withQuirk("hide-schools", (provider) =>
      runChecks({ ...target(provider), profile: "rostering" }),
    );
    const underSchools = ENDPOINTS.filter((e) => e.path.startsWith("/schools/{schoolId}")).map((e) => e.operationId);
    expect(underSchools).toHaveLength(9);
    expect(report.coverage.missed).toEqual(
      expect.arrayContaining([
        ...underSchools.map((operationId) => ({ operationId, reason: "no parent record to call it with" })),
        { operationId: "getSchool", reason: expect.stringMatching(/^called, but never answered 2xx|no parent/) },
      ]),
    );
    expect(report.coverage.exercised).toHaveLength(report.coverage.selected - report.coverage.missed.length);
    const end001 = report.results.find((r) => r.id === "END-001");
    expect(end001?.status).toBe("pass");
    expect(end001?.partial).toEqual(
      expect.arrayContaining(underSchools.map((id) => `${id}: no parent record to call it with`)),
    );
    const text = formatText(report, { color: false });
    expect(text).toMatch(
      new RegExp(
        `Operations exercised \\(answered 2xx\\): ${report.coverage.exercised.length} of 62 \\(41 in the selected profiles\\); not exercised: ${report.coverage.missed.length}`,
      ),
    );
    expect(text).toContain("  - getCoursesForSchool: no parent record to call it with");
    expect(report.rootCauses.map((c) => c.id)).toEqual(["END-008"]);
  }, 120_000);

  test("stops before any check with one message when the secret is wrong, and when nothing answers", async () => {
    const wrong = await runChecks({ ...target(seeded.provider), clientSecret: "not-the-secret" });
    expect(wrong.results).toEqual([]);
    expect(wrong.preflightFailure?.message).toMatch(/refused the client credentials \(HTTP 401 invalid_client: /);
    expect(exitCodeFor(wrong)).toBe(3);
    const closed = await startProvider(seeded.db.handle);
    await closed.close();
    const unreachable = await runChecks({ ...target(closed) });
    expect(unreachable.preflightFailure?.message).toMatch(
      /^cannot reach the token endpoint http:\/\/127\.0\.0\.1:\d+\/oauth\/token/,
    );
    expect(unreachable.requestCount).toBe(1);
    expect(exitCodeFor(unreachable)).toBe(3);
  }, 120_000);

  test.each([
    ["rostering", ["rostering-core", "rostering"]],
    ["resources", ["resources"]],
    ["gradebook", ["gradebook"]],
  ] as const)(
    "honours --profile %s in every request: its scopes in every token request, only its operations besides parent discovery",
    async (profile, tiersOf) => {
      const { fetchFn, requests } = recordingFetch();
      const report = await runChecks({
        ...target(seeded.provider),
        fetchFn,
        profile: profile as ProfileChoice,
        allowWrites: true,
      });
      expect(report.results.filter((r) => r.status === "fail" && r.level === "MUST")).toEqual([]);
      const tiers: Record<string, string[]> = {
        "rostering-core": ["CORE"],
        rostering: ["CORE", "REL", "DEMO"],
        resources: ["RES"],
        gradebook: ["GB", "EXT"],
      };
      const own = ENDPOINTS.filter((e) => tiersOf.some((p) => tiers[p]?.includes(e.tier)));
      expect(report.coverage.selected).toBe(own.length);
      // Every token request names scopes (a provider may require them, RFC 6749 §3.3), except AUTH-016's, which
      // checks exactly that case.
      const tokenBodies = requests
        .filter((r) => r.url.pathname === "/oauth/token")
        .map((r) => new URLSearchParams(r.body));
      expect(tokenBodies.filter((b) => !b.has("scope") && b.get("grant_type") === "client_credentials")).toHaveLength(
        1,
      );
      // Data requests outside the profile are only rostering reads that find parents (classes for a class's resources).
      const outside = requests
        .filter((r) => r.url.pathname.startsWith("/ims/oneroster/v1p1/"))
        .map((r) => ({ method: r.method, path: r.url.pathname.slice("/ims/oneroster/v1p1".length) }))
        .filter(
          ({ method, path }) =>
            !own.some((e) => e.method === method && new RegExp(`^${e.path.replace(/\{\w+\}/g, "[^/]+")}$`).test(path)),
        );
      const allowed =
        profile === "rostering"
          ? /^\/notAnEndpoint$|^\/orgs\/[^/]+$/ // ERR-003's unknown path; ERR-005's refused write on /orgs/{id}
          : // …and a class's term's grading periods, where a write fixture's line item is graded.
            /^\/(classes|courses|users|students|teachers|enrollments|gradingPeriods|orgs|schools|academicSessions|terms)(\/[^/]+)?(\/(students|classes|gradingPeriods))?$|^\/notAnEndpoint$/;
      expect(outside.filter(({ path }) => !allowed.test(path))).toEqual([]);
      expect(outside.every(({ method }) => method === "GET" || profile === "rostering")).toBe(true);
      expect(tokenBodies[0]?.get("scope")).toBe(scopesForProfiles(expandProfile(profile)).join(" "));
    },
    120_000,
  );
});

describeEachDb("dateLastModified compared as text", (kind) => {
  const seeded = useSeededProvider(kind, { clock: createTickingClock(SEEDED_NOW) });

  test("is caught by FLT-013 (the same instant in other notations) on this backend, and passes FLT-005 in the provider's own notation", async () => {
    const provider = await startProvider(seeded.db.handle, { quirks: ["dlm-string-compare"] });
    try {
      const report = await runChecks({ ...target(provider), profile: "rostering-core", only: ["FLT-005", "FLT-013"] });
      expect(report.results.map((r) => [r.id, r.status])).toEqual([
        ["FLT-005", "pass"],
        ["FLT-013", "fail"],
      ]);
      expect(report.results[1]?.message).toMatch(/dateLastModified%3E%3D|dateLastModified>=/);
    } finally {
      await provider.close();
    }
    const clean = await runChecks({ ...target(seeded.provider), profile: "rostering-core", only: ["FLT-013"] });
    expect(clean.results[0]?.status).toBe("pass");
  }, 120_000);
});
