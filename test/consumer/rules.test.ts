// The consumer's pure rules: org unit codes (seed 003 Limitations), the role map, the mapping of records, course
// offering dates, config validation with field paths, and the safety filter's arithmetic.
import { describe, expect, it } from "vitest";
import { ConfigError, readConsumerEnv, resolveSettings } from "../../consumer/config.js";
import type { PlanCounts } from "../../consumer/plan/build-plan.js";
import { CodeBook, MAX_CODE_LENGTH, sanitizeCode } from "../../consumer/plan/codes.js";
import { desiredEnrollment, desiredOffering, desiredUser, MappingError } from "../../consumer/plan/desired.js";
import { checkSafety } from "../../consumer/safety.js";
import type { Class, Enrollment, User } from "../../oneroster/index.js";

const ref = (type: string, sourcedId: string) => ({ href: `https://h/${type}/${sourcedId}`, sourcedId, type }) as never;

describe("org unit codes", () => {
  it("replaces every unsupported character with an underscore", () => {
    expect(sanitizeCode("A\\B:C?D\"E“F”G<H>I|J'K‘L#M,N%O&P")).toBe("A_B_C_D_E_F_G_H_I_J_K_L_M_N_O_P");
  });

  it("truncates to 50 characters and keeps allowed punctuation", () => {
    const long = "MATH-05-01-HONORS-INTEGRATED-PROJECT-BASED-LEARNING-LAB";
    expect(sanitizeCode(long)).toHaveLength(MAX_CODE_LENGTH);
    expect(sanitizeCode(long)).toBe(long.slice(0, 50));
    expect(sanitizeCode("ENG-09 (A)")).toBe("ENG-09 (A)");
  });

  it("makes colliding codes unique within a kind and reports it, leaving other kinds alone", () => {
    const book = new CodeBook();
    book.hold("template", "HR-KG", "template/crs-1");
    const second = book.assign("template", "HR-KG", "template/crs-2");
    expect(second.code).toBe("HR-KG_2");
    expect(second.notes.join()).toMatch(/taken by another template/);
    expect(book.assign("template", "HR-KG", "template/crs-3").code).toBe("HR-KG_3");
    expect(book.assign("offering", "HR-KG", "offering/cls-1").code).toBe("HR-KG");
    // The owner keeps its own code on a later run.
    expect(book.assign("template", "HR-KG", "template/crs-1").code).toBe("HR-KG");
  });

  it("keeps a made-unique code within 50 characters", () => {
    const book = new CodeBook();
    const long = "X".repeat(60);
    book.assign("offering", long, "a");
    const b = book.assign("offering", long, "b");
    expect(b.code).toHaveLength(50);
    expect(b.code.endsWith("_2")).toBe(true);
  });
});

const settings = resolveSettings({ profile: "brightspace" });

const user = (over: Partial<User> = {}): User =>
  ({
    sourcedId: "u1",
    status: "active",
    dateLastModified: "2026-09-01T00:00:00.000Z",
    username: "jdoe",
    enabledUser: true,
    givenName: "Jo",
    familyName: "Doe",
    role: "student",
    orgs: [ref("org", "s1")],
    ...over,
  }) as User;

describe("mapping records", () => {
  it("maps a user: sourcedId → OrgDefinedId, names, email, role through the role map, agents and orgs", () => {
    const d = desiredUser(user({ email: "j@x.org", middleName: "Q", agents: [ref("user", "p1")] }), settings);
    expect(d).toMatchObject({
      sisId: "u1",
      orgDefinedId: "u1",
      username: "jdoe",
      firstName: "Jo",
      middleName: "Q",
      lastName: "Doe",
      email: "j@x.org",
      role: "Learner",
      sisRole: "student",
      agents: ["p1"],
      orgs: ["s1"],
    });
    const byIdentifier = resolveSettings({ fileText: JSON.stringify({ orgDefinedIdFrom: "identifier" }) });
    expect(desiredUser(user({ identifier: "S-0042" }), byIdentifier).orgDefinedId).toBe("S-0042");
  });

  it("a role missing from the role map is an error on that user (seed 003)", () => {
    expect(() => desiredUser(user({ role: "proctor" }), settings)).toThrow(MappingError);
    try {
      desiredUser(user({ role: "relative" }), settings);
    } catch (err) {
      expect((err as MappingError).code).toBe("ROLE_UNMAPPED");
      expect((err as Error).message).toMatch(/"relative"/);
    }
    const e: Enrollment = {
      sourcedId: "e1",
      status: "active",
      dateLastModified: "2026-09-01T00:00:00.000Z",
      user: ref("user", "u1"),
      class: ref("class", "c1"),
      school: ref("org", "s1"),
      role: "proctor",
    };
    expect(() => desiredEnrollment(e, settings)).toThrow(/not in the role map/);
  });

  it("course offering dates come from the first session of the configured type, with day offsets", () => {
    const cls: Class = {
      sourcedId: "c1",
      status: "active",
      dateLastModified: "2026-09-01T00:00:00.000Z",
      title: "Math",
      classType: "scheduled",
      course: ref("course", "k1"),
      school: ref("org", "s1"),
      terms: [ref("academicSession", "gp1"), ref("academicSession", "t1"), ref("academicSession", "t2")],
    };
    const sessions = new Map([
      ["gp1", { type: "gradingPeriod", startDate: "2026-08-24", endDate: "2026-10-01" }],
      ["t1", { type: "term", startDate: "2026-08-24", endDate: "2027-01-15" }],
      ["t2", { type: "term", startDate: "2027-01-18", endDate: "2027-06-11" }],
    ]);
    const off = desiredOffering(cls, settings, (id) => sessions.get(id));
    expect(off.offering).toMatchObject({ startDate: null, endDate: null });
    const dated = resolveSettings({
      fileText: JSON.stringify({
        offeringDates: { enabled: true, sessionType: "term", startOffsetDays: -7, endOffsetDays: 14 },
      }),
    });
    const withDates = desiredOffering(cls, dated, (id) => sessions.get(id));
    expect(withDates.offering).toMatchObject({ startDate: "2026-08-17", endDate: "2027-01-29" });
    expect(withDates.offering.required).toEqual([
      { kind: "template", sisId: "k1" },
      { kind: "org", sisId: "s1" },
    ]);
    expect(withDates.section.required).toEqual([{ kind: "offering", sisId: "c1" }]);
  });
});

describe("config", () => {
  it("reports every bad field with its path", () => {
    try {
      resolveSettings({
        fileText: JSON.stringify({
          safety: { thresholds: { persons: { delete: 150 } } },
          deletion: { classes: "explode" },
          fetch: { pageSize: 0 },
          colour: "blue",
        }),
        file: "bad.json",
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join("\n");
      expect(problems).toMatch(/safety\.thresholds\.persons\.delete/);
      expect(problems).toMatch(/deletion\.classes/);
      expect(problems).toMatch(/fetch\.pageSize/);
      expect(problems).toMatch(/colour|Unrecognized key/);
    }
  });

  it("merges a file over the profile, and a role map in the file replaces the profile's", () => {
    const s = resolveSettings({
      profile: "itslearning",
      fileText: JSON.stringify({ roleMap: { student: "Pupil" }, fetch: { pageSize: 50 } }),
    });
    expect(s.roleMap).toEqual({ student: "Pupil" });
    expect(s.fetch.pageSize).toBe(50);
    expect(s.fetch.retries).toBe(resolveSettings({ profile: "itslearning" }).fetch.retries);
    expect(s.deletion.classes).toBe("archive");
  });

  it("reads the connection from ROSTERLAB_SYNC_* variables", () => {
    const env = readConsumerEnv({
      ROSTERLAB_SYNC_BASE_URL: "http://h/ims/oneroster/v1p1",
      ROSTERLAB_SYNC_CLIENT_SECRET: "s3cret",
      ROSTERLAB_SYNC_PROFILE: "itslearning",
      ROSTERLAB_LMS_URL: "postgres://x/y",
    });
    expect(env.connection).toEqual({ baseUrl: "http://h/ims/oneroster/v1p1", clientSecret: "s3cret" });
    expect(env.profile).toBe("itslearning");
    expect(env.lmsUrl).toBe("postgres://x/y");
    expect(() => readConsumerEnv({ ROSTERLAB_SYNC_PROFILE: "moodle" })).toThrow(ConfigError);
  });
});

describe("the safety filter", () => {
  const counts = (persons: number, memberships: number): PlanCounts => ({
    byEntity: {},
    byGroup: {
      persons: { insert: 0, update: 0, delete: persons },
      groups: { insert: 0, update: 0, delete: 0 },
      memberships: { insert: 0, update: 0, delete: memberships },
    },
    errors: 0,
    notes: 0,
  });

  it("holds when a group's share of an action exceeds its threshold, naming each reason", () => {
    const v = checkSafety(counts(11, 10), { persons: 100, groups: 10, memberships: 1000 }, settings);
    expect(v.hold).toBe(true);
    expect(v.reasons).toEqual(["persons delete 11.0% (11 of 100) > 10%"]);
  });

  it("passes at the threshold, skips groups below the minimum base, and can be switched off", () => {
    expect(checkSafety(counts(10, 0), { persons: 100, groups: 0, memberships: 0 }, settings).hold).toBe(false);
    expect(checkSafety(counts(40, 0), { persons: 40, groups: 0, memberships: 0 }, settings).hold).toBe(false);
    const off = resolveSettings({ fileText: JSON.stringify({ safety: { enabled: false } }) });
    expect(checkSafety(counts(100, 100), { persons: 100, groups: 100, memberships: 100 }, off).hold).toBe(false);
  });
});
