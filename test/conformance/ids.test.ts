// Check ids are stable data: unique, well-formed, each with a level, a section, an area and profiles, and pinned by
// a snapshot so a renamed or reused id shows up in review. Retired ids stay listed in RETIRED and are never reused.
import { describe, expect, test } from "vitest";
import { AREAS, levelOf, PROFILES } from "../../conformance/check.js";
import { ALL_CHECKS } from "../../conformance/checks/index.js";

/** Ids that once existed and were removed; none may come back. */
const RETIRED: readonly string[] = [];

describe("conformance check ids", () => {
  test("every id is unique, shaped AREA-NNN, and never a retired id", () => {
    const ids = ALL_CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Z]{3,4}-\d{3}$/);
      expect(RETIRED).not.toContain(id);
    }
  });

  test("every check has a MUST, SHOULD or MAY title, a spec section, a known area and at least one profile", () => {
    for (const check of ALL_CHECKS) {
      expect(["MUST", "SHOULD", "MAY"]).toContain(levelOf(check));
      expect(check.section).toMatch(/§/);
      expect(AREAS).toContain(check.area);
      expect(check.profiles.length).toBeGreaterThan(0);
      for (const p of check.profiles) {
        expect(PROFILES).toContain(p);
      }
    }
  });

  test("the id list, with levels, is pinned", () => {
    expect(ALL_CHECKS.map((c) => `${c.id} ${levelOf(c)}${c.writes ? " writes" : ""}`)).toMatchInlineSnapshot(`
      [
        "AUTH-001 MUST",
        "AUTH-002 MUST",
        "AUTH-003 SHOULD",
        "AUTH-004 MUST",
        "AUTH-005 MUST",
        "AUTH-006 MUST",
        "AUTH-007 MUST",
        "AUTH-008 SHOULD",
        "AUTH-009 MUST",
        "AUTH-010 MUST",
        "AUTH-011 MUST",
        "AUTH-012 SHOULD",
        "AUTH-013 SHOULD",
        "AUTH-014 MUST writes",
        "AUTH-015 MUST",
        "AUTH-016 MUST",
        "AUTH-017 MUST",
        "END-001 MUST",
        "END-002 MUST",
        "END-003 MUST",
        "END-004 MUST",
        "END-005 MUST",
        "END-006 SHOULD",
        "END-007 MAY",
        "END-008 MUST",
        "SGL-001 MUST",
        "SGL-002 SHOULD",
        "SGL-003 MUST",
        "SGL-004 MUST",
        "SGL-005 MUST",
        "SGL-006 SHOULD",
        "SGL-007 MUST",
        "SGL-008 MUST",
        "PAG-001 MUST",
        "PAG-002 MUST",
        "PAG-003 MUST",
        "PAG-004 MUST",
        "PAG-005 MUST",
        "PAG-006 SHOULD",
        "PAG-007 MUST",
        "PAG-008 MUST",
        "PAG-009 MUST",
        "PAG-010 MUST",
        "PAG-011 SHOULD",
        "SRT-001 MUST",
        "SRT-002 MUST",
        "SRT-003 MUST",
        "SRT-004 SHOULD",
        "FLT-001 MUST",
        "FLT-002 MUST",
        "FLT-003 MUST",
        "FLT-004 MUST",
        "FLT-005 MUST",
        "FLT-006 SHOULD",
        "FLT-007 MUST",
        "FLT-008 MUST",
        "FLT-009 MUST",
        "FLT-010 MUST",
        "FLT-011 SHOULD",
        "FLT-012 SHOULD",
        "FLT-013 MUST",
        "FLD-001 MUST",
        "FLD-002 MUST",
        "FLD-003 MUST",
        "FLD-004 SHOULD",
        "FLD-005 MUST",
        "FLD-006 SHOULD",
        "DLT-001 MUST writes",
        "DLT-002 SHOULD writes",
        "DLT-003 MUST",
        "DLT-004 MUST writes",
        "GBW-001 MUST writes",
        "GBW-002 MUST writes",
        "GBW-003 MUST writes",
        "GBW-004 MUST writes",
        "GBW-005 MUST writes",
        "GBW-006 MUST writes",
        "GBW-007 MUST writes",
        "GBW-008 SHOULD writes",
        "GBW-009 MUST writes",
        "GBW-010 MUST writes",
        "GBW-011 MUST writes",
        "GBW-012 SHOULD writes",
        "GBW-013 SHOULD writes",
        "GBW-014 MUST writes",
        "GBW-015 MUST writes",
        "GBW-016 MUST writes",
        "ERR-001 MUST",
        "ERR-002 SHOULD",
        "ERR-003 SHOULD",
        "ERR-004 SHOULD",
        "ERR-005 MUST writes",
      ]
    `);
  });
});
