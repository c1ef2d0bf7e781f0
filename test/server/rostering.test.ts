// Rostering reads against the seeded `tiny` district: paging headers, filters, sorting, field selection, subset
// rules, relationship semantics, tombstones and delta (notes §1.3, §3, §4, §8); plus error and security cases.
import { expect, it } from "vitest";
import { readStatusInfo, SCOPES } from "../../oneroster/index.js";
import { describeEachDb } from "../support/each-db.js";
import { useSeededProvider } from "../support/seeded-provider.js";

const enc = encodeURIComponent;

function links(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? "").split(", ")) {
    const m = /^<([^>]+)>; rel="(\w+)"$/.exec(part);
    if (m?.[1] && m[2]) {
      out[m[2]] = m[1];
    }
  }
  return out;
}

describeEachDb("rostering reads", (kind) => {
  const sp = useSeededProvider(kind);
  const ids = (records: { sourcedId: string }[]) => records.map((r) => r.sourcedId);

  it("pages with X-Total-Count after filtering and a Link header that is followable to the end, keeping the filter", async () => {
    const filter = "role='student'";
    const all = await sp.api(`/users?filter=${enc(filter)}&limit=10000`);
    const total = Number(all.headers.get("x-total-count"));
    expect(total).toBe(all.body.users.length);
    expect(total).toBeGreaterThan(20);
    let next: string | undefined = `${sp.provider.baseUrl}/users?filter=${enc(filter)}&limit=7&sort=familyName`;
    const seen: string[] = [];
    while (next) {
      const page = await sp.api(next);
      expect(page.status).toBe(200);
      expect(Number(page.headers.get("x-total-count"))).toBe(total);
      for (const u of page.body.users) {
        expect(u.role).toBe("student");
      }
      seen.push(...ids(page.body.users));
      const rel = links(page.headers.get("link"));
      expect(new URL(rel.first ?? "").searchParams.get("offset")).toBe("0");
      expect(rel.last).toBeDefined();
      next = rel.next;
      if (next) {
        expect(new URL(next).searchParams.get("filter")).toBe(filter);
        expect(new URL(next).searchParams.get("sort")).toBe("familyName");
      }
    }
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    expect([...seen].sort()).toEqual([...ids(all.body.users)].sort());
  });

  it("shrinks an over-large limit to the cap instead of failing", async () => {
    const res = await sp.api("/enrollments?limit=999999999");
    expect(res.status).toBe(200);
    expect(res.body.enrollments.length).toBe(Number(res.headers.get("x-total-count")));
  });

  it("answers an offset past the end with an empty page and the total", async () => {
    const res = await sp.api("/orgs?offset=100000");
    expect(res.body.orgs).toEqual([]);
    expect(Number(res.headers.get("x-total-count"))).toBeGreaterThan(0);
  });

  it("sorts across pages in both directions", async () => {
    const asc = ids((await sp.api("/users?sort=familyName&limit=10000")).body.users);
    const desc = ids((await sp.api("/users?sort=familyName&orderBy=desc&limit=10000")).body.users);
    expect(desc).toEqual([...asc].reverse());
    const page2 = ids((await sp.api("/users?sort=familyName&orderBy=desc&limit=5&offset=5")).body.users);
    expect(page2).toEqual(desc.slice(5, 10));
    const names = (await sp.api("/users?sort=familyName&limit=10000")).body.users.map(
      (u: { familyName: string }) => u.familyName,
    );
    const byCodePoint = [...names].sort((a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0));
    expect(names).toEqual(byCodePoint);
  });

  it("answers an unknown sort field with 200, a warning and the default order", async () => {
    const res = await sp.api("/courses?sort=colour&limit=5");
    expect(res.status).toBe(200);
    expect(readStatusInfo(res.body)[0]).toMatchObject({
      codeMajor: "success",
      severity: "warning",
      codeMinor: "invalidsortfield",
    });
    const plain = await sp.api("/courses?limit=5");
    expect(ids(res.body.courses)).toEqual(ids(plain.body.courses));
  });

  it("selects fields on collections and single reads, warns on unknown ones, rejects blank", async () => {
    const list = await sp.api("/users?fields=givenName,familyName&limit=3");
    for (const u of list.body.users) {
      expect(Object.keys(u).sort()).toEqual(["familyName", "givenName"]);
    }
    const id = (await sp.api("/users?limit=1")).body.users[0].sourcedId;
    expect(Object.keys((await sp.api(`/users/${id}?fields=role`)).body.user)).toEqual(["role"]);
    const warned = await sp.api(`/users/${id}?fields=role,hat`);
    expect(warned.status).toBe(200);
    expect(readStatusInfo(warned.body)[0]?.codeMinor).toBe("invalidselectionfield");
    expect(warned.body.user.sourcedId).toBe(id);
    const blank = await sp.api("/users?fields=");
    expect(blank.status).toBe(400);
    expect(readStatusInfo(blank.body)[0]?.codeMinor).toBe("invalidblankselectionfield");
  });

  it("filters on referenced sourcedIds, values with spaces and quotes, and OR", async () => {
    const school = (await sp.api("/schools?limit=1")).body.orgs[0].sourcedId;
    const viaFilter = ids(
      (await sp.api(`/classes?filter=${enc(`school.sourcedId='${school}'`)}&limit=10000`)).body.classes,
    );
    const viaPath = ids((await sp.api(`/schools/${school}/classes?limit=10000`)).body.classes);
    expect(viaFilter.length).toBeGreaterThan(0);
    expect(viaFilter).toEqual(viaPath);
    const awkward = (await sp.api(`/users?filter=${enc("familyName~''")}&limit=10000`)).body.users;
    const withQuote = (await sp.api("/users?limit=10000")).body.users.find((u: { familyName: string }) =>
      u.familyName.includes("'"),
    );
    expect(withQuote, "tiny has a family name with an apostrophe").toBeDefined();
    const exact = await sp.api(
      `/users?filter=${enc(`familyName='${withQuote.familyName}' AND givenName='${withQuote.givenName}'`)}`,
    );
    expect(ids(exact.body.users)).toContain(withQuote.sourcedId);
    expect(awkward.length).toBeGreaterThan(0);
    const either = await sp.api(`/users?filter=${enc("role='teacher' OR role='aide'")}&limit=10000`);
    expect(new Set(either.body.users.map((u: { role: string }) => u.role))).toEqual(new Set(["teacher", "aide"]));
  });

  it("answers an unknown filter field or malformed filter with 400 invalid_filter_field and no data", async () => {
    for (const filter of ["hat='red'", "status=active", "dateLastModified>'soon'"]) {
      const res = await sp.api(`/users?filter=${enc(filter)}`);
      expect(res.status, filter).toBe(400);
      expect(readStatusInfo(res.body)[0]?.codeMinor).toBe("invalidfilterfield");
      expect(res.body.users).toBeUndefined();
    }
  });

  it("serves only the subset on subset endpoints, also by id", async () => {
    const teacher = (await sp.api("/teachers?limit=1")).body.users[0].sourcedId;
    const student = (await sp.api("/students?limit=1")).body.users[0].sourcedId;
    expect((await sp.api(`/students/${teacher}`)).status).toBe(404);
    expect((await sp.api(`/teachers/${student}`)).status).toBe(404);
    expect((await sp.api(`/users/${teacher}`)).status).toBe(200);
    const district = (await sp.api(`/orgs?filter=${enc("type='district'")}`)).body.orgs[0].sourcedId;
    expect((await sp.api(`/schools/${district}`)).status).toBe(404);
    const year = (await sp.api(`/academicSessions?filter=${enc("type='schoolYear'")}`)).body.academicSessions[0]
      .sourcedId;
    expect((await sp.api(`/terms/${year}`)).status).toBe(404);
    expect((await sp.api(`/gradingPeriods/${year}`)).status).toBe(404);
  });

  it("derives relationships from enrollments: a class's students and teachers, a student's classes", async () => {
    const enrollment = (await sp.api(`/enrollments?filter=${enc("role='student' AND status='active'")}&limit=1`)).body
      .enrollments[0];
    const classId = enrollment.class.sourcedId;
    const studentId = enrollment.user.sourcedId;
    expect(ids((await sp.api(`/classes/${classId}/students?limit=10000`)).body.users)).toContain(studentId);
    expect(ids((await sp.api(`/students/${studentId}/classes?limit=10000`)).body.classes)).toContain(classId);
    expect(ids((await sp.api(`/users/${studentId}/classes?limit=10000`)).body.classes)).toContain(classId);
    const schoolId = enrollment.school.sourcedId;
    expect(ids((await sp.api(`/schools/${schoolId}/classes/${classId}/students?limit=10000`)).body.users)).toContain(
      studentId,
    );
    const otherSchool = ids((await sp.api("/schools")).body.orgs).find((s) => s !== schoolId);
    expect((await sp.api(`/schools/${otherSchool}/classes/${classId}/students`)).status).toBe(404);
    const terms = (await sp.api(`/classes/${classId}`)).body.class.terms;
    expect(ids((await sp.api(`/terms/${terms[0].sourcedId}/classes?limit=10000`)).body.classes)).toContain(classId);
  });

  it("answers each class's own roster, page by page, from one statement shape (path ids, limit and offset vary)", async () => {
    const classes = ids((await sp.api("/classes?limit=3&sort=sourcedId")).body.classes);
    expect(classes.length).toBe(3);
    for (const classId of classes) {
      const whole = await sp.api(`/classes/${classId}/students?limit=10000`);
      const expected = ids(whole.body.users);
      const enrolled = (
        await sp.api(
          `/enrollments?filter=${enc(`class.sourcedId='${classId}' AND role='student' AND status='active'`)}&limit=10000`,
        )
      ).body.enrollments.map((e: { user: { sourcedId: string } }) => e.user.sourcedId);
      expect([...expected].sort()).toEqual([...new Set(enrolled as string[])].sort());
      expect(Number(whole.headers.get("x-total-count"))).toBe(expected.length);
      const paged: string[] = [];
      for (let offset = 0; offset < expected.length; offset += 2) {
        paged.push(...ids((await sp.api(`/classes/${classId}/students?limit=2&offset=${offset}`)).body.users));
      }
      expect(paged).toEqual(expected);
      const sorted = ids((await sp.api(`/classes/${classId}/students?limit=10000&sort=familyName`)).body.users);
      expect([...sorted].sort()).toEqual([...expected].sort());
    }
  });

  it("answers each value of one filter shape with its own records (a statement shared by values)", async () => {
    for (const role of ["student", "teacher", "student"]) {
      const res = await sp.api(`/users?filter=${enc(`role='${role}' AND status='active'`)}&limit=10000`);
      expect(res.body.users.length).toBeGreaterThan(0);
      expect(Number(res.headers.get("x-total-count"))).toBe(res.body.users.length);
      for (const u of res.body.users) {
        expect(u.role).toBe(role);
      }
    }
    const all = (await sp.api("/users?limit=10000&sort=dateLastModified")).body.users as { dateLastModified: string }[];
    for (const at of [0.25, 0.75].map((q) => all[Math.floor(q * all.length)]?.dateLastModified as string)) {
      const res = await sp.api(`/users?filter=${enc(`dateLastModified>'${at}'`)}&limit=10000`);
      const expected = all.filter((u) => u.dateLastModified > at).length;
      expect(res.body.users.length).toBe(expected);
      expect(Number(res.headers.get("x-total-count"))).toBe(expected);
    }
    for (const letters of ["an", "er"]) {
      const res = await sp.api(`/users?filter=${enc(`familyName~'${letters}'`)}&limit=10000`);
      expect(res.body.users.length).toBeGreaterThan(0);
      for (const u of res.body.users) {
        expect(u.familyName.toLowerCase()).toContain(letters);
      }
    }
  });

  it("keeps tobedeleted records listed and finds them with a delta filter (notes §8)", async () => {
    const dead = await sp.api(`/users?filter=${enc("status='tobedeleted'")}&limit=10000`);
    expect(dead.body.users.length).toBeGreaterThan(0);
    const newest = [...dead.body.users].sort((a, b) => (a.dateLastModified < b.dateLastModified ? 1 : -1))[0];
    const since = new Date(new Date(newest.dateLastModified).getTime() - 1).toISOString();
    const delta = await sp.api(`/users?filter=${enc(`dateLastModified>'${since}'`)}&limit=10000`);
    expect(ids(delta.body.users)).toContain(newest.sourcedId);
    for (const u of delta.body.users) {
      expect(u.dateLastModified > since).toBe(true);
    }
    const all = ids((await sp.api("/users?limit=10000")).body.users);
    expect(all).toContain(newest.sourcedId);
  });

  it("needs roster-demographics.readonly for demographics, not roster.readonly", async () => {
    const roster = await sp.provider.token([SCOPES.roster]);
    expect((await sp.api("/demographics", { token: roster })).status).toBe(403);
    expect((await sp.api("/users?limit=1", { token: roster })).status).toBe(200);
    const core = await sp.provider.token([SCOPES.rosterCore]);
    expect((await sp.api("/users?limit=1", { token: core })).status).toBe(200);
    expect((await sp.api(`/schools/x/classes`, { token: core })).status).toBe(403);
  });

  it("rejects a malformed, tampered or foreign bearer token with 401", async () => {
    const [h, p, s] = sp.token.split(".");
    for (const token of [
      "garbage",
      `${h}.${p}.${(s ?? "").slice(0, -4)}AAAA`,
      `${h}.${Buffer.from('{"sub":"x"}').toString("base64url")}.${s}`,
    ]) {
      const res = await sp.api("/orgs", { token });
      expect(res.status).toBe(401);
      expect(res.text).not.toMatch(/at .*\.ts/);
    }
  });

  it("answers unknown paths with 404 and wrong methods with 405, both with the status payload", async () => {
    const missing = await sp.api("/widgets");
    expect(missing.status).toBe(404);
    expect(readStatusInfo(missing.body)[0]?.codeMinor).toBe("unknownobject");
    const wrong = await sp.api("/users", { method: "POST", body: {} });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, HEAD");
    expect(readStatusInfo(wrong.body)[0]?.codeMajor).toBe("failure");
    const del = await sp.api("/users/x", { method: "DELETE" });
    expect(del.status).toBe(405);
  });

  it("echoes a request id header on every answer", async () => {
    const res = await sp.api("/orgs", { headers: { "x-request-id": "trace-123" } });
    expect(res.headers.get("x-request-id")).toBe("trace-123");
    const generated = await sp.api("/orgs", { headers: { "x-request-id": "bad id with spaces" } });
    expect(generated.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
