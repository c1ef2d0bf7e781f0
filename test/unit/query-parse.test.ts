// parseCollectionQuery / parseSingleQuery: limit, offset, sort, orderBy, fields and filter validation
// against the entity descriptors (notes §3, §3.4, §4).
import { describe, expect, it } from "vitest";
import { lineItemEntity, readStatusInfo, userEntity } from "../../oneroster/index.js";
import { ApiError } from "../../server/errors.js";
import type { QuirkName } from "../../server/faults/presets.js";
import { parseCollectionQuery, parseSingleQuery } from "../../server/query/parse.js";

const opts = (quirks: QuirkName[] = [], limitCap = 10000) => ({ limitCap, quirks: new Set(quirks) });
const reader = (q: Record<string, string>) => (name: string) => q[name];
const parse = (q: Record<string, string>, quirks: QuirkName[] = [], cap = 10000) =>
  parseCollectionQuery(reader(q), userEntity, opts(quirks, cap));

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) {
      return e;
    }
    throw e;
  }
  throw new Error("expected an ApiError");
}

describe("limit and offset (notes §4)", () => {
  it("defaults to limit 100, offset 0", () => {
    const spec = parse({});
    expect(spec.limit).toBe(100);
    expect(spec.offset).toBe(0);
  });
  it("shrinks a limit above the cap instead of failing", () => {
    expect(parse({ limit: "50000" }).limit).toBe(10000);
    expect(parse({ limit: "500" }, [], 200).limit).toBe(200);
  });
  it.each(["abc", "-1", "1.5", "", "0", "1e3", "99999999999999999999"])(
    "answers 400 invaliddata for limit=%j",
    (limit) => {
      const err = apiError(() => parse({ limit }));
      expect(err.status).toBe(400);
      expect(err.codeMinor).toBe("invaliddata");
      expect(err.message).toMatch(/limit/);
    },
  );
  it.each(["x", "-5", "2.5"])("answers 400 for offset=%j", (offset) => {
    expect(apiError(() => parse({ offset })).status).toBe(400);
  });
  it("accepts offset=0 and large offsets", () => {
    expect(parse({ offset: "0" }).offset).toBe(0);
    expect(parse({ offset: "123456" }).offset).toBe(123456);
  });
  it("under silent-limit-cap serves 10 rows but keeps the requested page step for links", () => {
    const spec = parse({ limit: "50" }, ["silent-limit-cap"]);
    expect(spec.limit).toBe(10);
    expect(spec.pageStep).toBe(50);
  });
});

describe("sort and orderBy (notes §3.3, §3.4)", () => {
  it("sorts by a known scalar field, ascending by default", () => {
    expect(parse({ sort: "familyName" }).sort).toEqual({ field: "familyName", direction: "asc" });
    expect(parse({ sort: "familyName", orderBy: "desc" }).sort).toEqual({ field: "familyName", direction: "desc" });
  });
  it("warns invalid_sort_field for an unknown field and keeps the default order", () => {
    const spec = parse({ sort: "shoeSize" });
    expect(spec.sort).toBeUndefined();
    const [w] = readStatusInfo({ statusInfoSet: spec.warnings });
    expect(w).toMatchObject({ codeMajor: "success", severity: "warning", codeMinor: "invalidsortfield" });
    expect(w?.description).toMatch(/shoeSize/);
  });
  it("warns for a list field that cannot be sorted", () => {
    expect(parse({ sort: "orgs" }).warnings).toHaveLength(1);
  });
  it("answers 400 for an orderBy that is neither asc nor desc", () => {
    expect(apiError(() => parse({ sort: "familyName", orderBy: "up" })).status).toBe(400);
  });
  it("answers 400 instead of a warning under the unknown-field-400 quirk", () => {
    expect(apiError(() => parse({ sort: "shoeSize" }, ["unknown-field-400"])).status).toBe(400);
  });
});

describe("fields (notes §3.2, §3.4)", () => {
  it("selects the listed fields, trimmed and de-duplicated", () => {
    expect(parse({ fields: "givenName, familyName,givenName" }).fields).toEqual(["givenName", "familyName"]);
  });
  it.each(["", " ", ",", " , "])("answers 400 invalid_blank_selection_field for fields=%j", (fields) => {
    const err = apiError(() => parse({ fields }));
    expect(err.status).toBe(400);
    expect(err.codeMinor).toBe("invalid_blank_selection_field");
  });
  it("warns invalid_selection_field for an unknown field and returns every field", () => {
    const spec = parse({ fields: "givenName,shoeSize" });
    expect(spec.fields).toBeUndefined();
    expect(spec.warnings[0]?.imsx_codeMinor).toBe("invalid_selection_field");
    expect(spec.warnings[0]?.imsx_description).toMatch(/shoeSize/);
  });
  it("applies to single reads too", () => {
    expect(parseSingleQuery(reader({ fields: "role" }), userEntity, opts()).fields).toEqual(["role"]);
    expect(() => parseSingleQuery(reader({ fields: "" }), userEntity, opts())).toThrow(ApiError);
  });
});

describe("filter resolution against field kinds (notes §3.1)", () => {
  it("types dateLastModified values as instants, date-only as midnight UTC", () => {
    const f = parse({ filter: "dateLastModified>'2026-01-02'" }).filter;
    expect(f?.predicates[0]?.typed).toEqual(new Date("2026-01-02T00:00:00.000Z"));
    expect(f?.touchesDelta).toBe(true);
    const g = parse({ filter: "dateLastModified>='2026-01-02T03:04:05.678+02:00'" }).filter;
    expect(g?.predicates[0]?.typed).toEqual(new Date("2026-01-02T01:04:05.678Z"));
  });
  it("accepts dotted sourcedId on references and userIds sub-fields", () => {
    expect(parse({ filter: "orgs.sourcedId='s1'" }).filter?.predicates[0]).toMatchObject({
      field: "orgs",
      sub: "sourcedId",
    });
    expect(parse({ filter: "userIds.identifier='X1'" }).filter?.predicates[0]).toMatchObject({
      field: "userIds",
      sub: "identifier",
    });
  });
  it("types numbers and booleans", () => {
    const li = parseCollectionQuery(reader({ filter: "resultValueMax>'10'" }), lineItemEntity, opts());
    expect(li.filter?.predicates[0]?.typed).toBe(10);
    expect(parse({ filter: "enabledUser='false'" }).filter?.predicates[0]?.typed).toBe(false);
  });
  it.each([
    ["shoeSize='9'", /unknown filter field 'shoeSize'/],
    ["orgs.name='x'", /unknown filter field/],
    ["givenName.x='y'", /unknown filter field/],
    ["dateLastModified>'yesterday'", /not an ISO 8601/],
    ["dateLastModified~'2026'", /does not apply/],
    ["enabledUser='yes'", /'true' or 'false'/],
    ["enabledUser>'true'", /does not apply to a boolean/],
    ["orgs>'s1'", /does not apply to a list/],
    ["userIds='x'", /userIds.type or userIds.identifier/],
    ["status=active", /malformed filter/],
  ])("answers 400 invalid_filter_field for %s", (filter, message) => {
    const err = apiError(() => parse({ filter }));
    expect(err.status).toBe(400);
    expect(err.codeMinor).toBe("invalid_filter_field");
    expect(err.message).toMatch(message);
  });
  it("rejects a non-number for a number field", () => {
    expect(() => parseCollectionQuery(reader({ filter: "resultValueMax>'ten'" }), lineItemEntity, opts())).toThrow(
      /not a number/,
    );
  });
  it("drops unknown fields instead under the ignore-unknown-filter-field quirk", () => {
    const spec = parse({ filter: "shoeSize='9' AND role='student'" }, ["ignore-unknown-filter-field"]);
    expect(spec.filter?.predicates.map((p) => p.field)).toEqual(["role"]);
  });
});
