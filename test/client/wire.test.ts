// The client kit's pure wire helpers: query encoding (notes §3.1), X-Total-Count and Link headers (notes §4,
// RFC 8288), Retry-After (RFC 9110 §10.2.3), client-credentials bodies (RFC 6749) and envelope lookup (notes §2.12).
import { describe, expect, it } from "vitest";
import {
  basicCredentials,
  buildUrl,
  encodeQuery,
  envelopeRecords,
  findRecords,
  formBody,
  linkFor,
  linksOf,
  parseLinkHeader,
  retryAfterMs,
  totalCount,
} from "../../oneroster/client/index.js";

const headers = (h: Record<string, string>) => ({ headers: new Headers(h) });

describe("encodeQuery", () => {
  it("sends spaces as %20 and quotes as %27 in a filter value (notes §3.1)", () => {
    expect(encodeQuery({ filter: "givenName='Mary Ann'" })).toBe("filter=givenName%3D%27Mary%20Ann%27");
  });

  it("encodes the contains operator's value and an AND filter without '+'", () => {
    expect(encodeQuery({ filter: "familyName~'son' AND status='active'" })).toBe(
      "filter=familyName~%27son%27%20AND%20status%3D%27active%27",
    );
  });

  it("encodes the sub-delimiters encodeURIComponent leaves alone, and non-ASCII as UTF-8", () => {
    expect(encodeQuery({ q: "a!b(c)*d", name: "Åse" })).toBe("q=a%21b%28c%29%2Ad&name=%C3%85se");
  });

  it("leaves out undefined values, keeps numbers and zero, and keeps the given order", () => {
    expect(encodeQuery({ limit: 100, offset: 0, sort: undefined, fields: "sourcedId,role" })).toBe(
      "limit=100&offset=0&fields=sourcedId%2Crole",
    );
    expect(encodeQuery({})).toBe("");
    expect(encodeQuery()).toBe("");
  });
});

describe("buildUrl", () => {
  it("joins the base URL and a path, dropping trailing slashes of the base", () => {
    expect(buildUrl("https://h/ims/oneroster/v1p1//", "/users", { limit: 5 })).toBe(
      "https://h/ims/oneroster/v1p1/users?limit=5",
    );
  });

  it("uses an absolute URL as given and appends to its query with &", () => {
    expect(buildUrl("https://h/base", "http://other/users?limit=5", { offset: 5 })).toBe(
      "http://other/users?limit=5&offset=5",
    );
  });

  it("adds no '?' when there is no query", () => {
    expect(buildUrl("https://h/base", "/users/u1")).toBe("https://h/base/users/u1");
    expect(buildUrl("https://h/base", "/users", { sort: undefined })).toBe("https://h/base/users");
  });
});

describe("totalCount", () => {
  it.each([
    ["211", 211],
    [" 7 ", 7],
    ["0", 0],
  ])("reads X-Total-Count %j as %d", (value, expected) => {
    expect(totalCount(headers({ "X-Total-Count": value }))).toBe(expected);
  });

  it.each(["-1", "12abc", "1.5", "", "many"])("treats a malformed X-Total-Count %j as absent", (value) => {
    expect(totalCount(headers({ "X-Total-Count": value }))).toBeUndefined();
  });

  it("is undefined without the header", () => {
    expect(totalCount(headers({}))).toBeUndefined();
  });
});

describe("parseLinkHeader", () => {
  it("reads the four relations of the notes' example (notes §4)", () => {
    const value =
      '<https://h/ims/oneroster/v1p1/students?limit=10&offset=20>; rel="next", ' +
      '<https://h/ims/oneroster/v1p1/students?limit=10&offset=500>; rel="last", ' +
      '<https://h/ims/oneroster/v1p1/students?limit=10&offset=0>; rel="first", ' +
      '<https://h/ims/oneroster/v1p1/students?limit=10&offset=0>; rel="prev"';
    const entries = parseLinkHeader(value);
    expect(entries?.map((e) => e.rels)).toEqual([["next"], ["last"], ["first"], ["prev"]]);
    expect(entries && linkFor(entries, "next")).toBe("https://h/ims/oneroster/v1p1/students?limit=10&offset=20");
    expect(entries && linkFor(entries, "last")).toBe("https://h/ims/oneroster/v1p1/students?limit=10&offset=500");
  });

  it("reads unquoted and multi-valued rels, other parameters, and commas inside quotes or the URL", () => {
    const entries = parseLinkHeader(
      '<https://h/a?x=1,2>; title="page, two"; rel=next, <https://h/b>;rel="prev first" ; type="application/json"',
    );
    expect(entries).toEqual([
      { url: "https://h/a?x=1,2", rels: ["next"] },
      { url: "https://h/b", rels: ["prev", "first"] },
    ]);
    expect(entries && linkFor(entries, "first")).toBe("https://h/b");
    expect(entries && linkFor(entries, "last")).toBeUndefined();
  });

  it("accepts parameters without a value and token names with digits or dots (RFC 8288 §3)", () => {
    expect(parseLinkHeader('<https://h/a>; anchor; rel=next; x.v2="y"')).toEqual([
      { url: "https://h/a", rels: ["next"] },
    ]);
  });

  it("accepts an entry without rel and an empty header", () => {
    expect(parseLinkHeader("<https://h/a>")).toEqual([{ url: "https://h/a", rels: [] }]);
    expect(parseLinkHeader("")).toEqual([]);
  });

  it.each([
    "https://h/a; rel=next",
    '<https://h/a> rel="next"',
    '<https://h/a>; rel="next" <https://h/b>; rel="last"',
    '<https://h/a>; rel="next", garbage',
  ])("returns undefined for the malformed %j", (value) => {
    expect(parseLinkHeader(value)).toBeUndefined();
  });
});

describe("linksOf", () => {
  it("gives [] without a Link header, the entries with one, undefined for a malformed one", () => {
    expect(linksOf(headers({}))).toEqual([]);
    expect(linksOf(headers({ Link: "  " }))).toEqual([]);
    expect(linksOf(headers({ Link: '<https://h/a>; rel="next"' }))).toEqual([{ url: "https://h/a", rels: ["next"] }]);
    expect(linksOf(headers({ Link: "not a link" }))).toBeUndefined();
  });
});

describe("retryAfterMs (RFC 9110 §10.2.3)", () => {
  const now = Date.parse("2026-09-16T08:00:00.000Z");

  it("reads delay-seconds", () => {
    expect(retryAfterMs("5", now)).toBe(5000);
    expect(retryAfterMs(" 0 ", now)).toBe(0);
  });

  it("reads an HTTP-date in each of its three forms, relative to now", () => {
    expect(retryAfterMs("Wed, 16 Sep 2026 08:00:30 GMT", now)).toBe(30_000);
    expect(retryAfterMs("Wednesday, 16-Sep-26 08:01:00 GMT", now)).toBe(60_000);
    expect(retryAfterMs("Wed Sep 16 08:00:02 2026", now)).toBe(2000);
  });

  it("never asks for a negative wait for a date in the past", () => {
    expect(retryAfterMs("Tue, 15 Sep 2026 08:00:00 GMT", now)).toBe(0);
  });

  it.each([null, "", "soon", "1.5", "-5", "2026-09-16"])("treats %j as no usable value", (value) => {
    expect(retryAfterMs(value, now)).toBeUndefined();
  });
});

describe("client-credentials request parts (RFC 6749)", () => {
  it("builds Basic credentials from the form-encoded id and secret (§2.3.1)", () => {
    expect(basicCredentials("client", "s3cret")).toBe(`Basic ${Buffer.from("client:s3cret").toString("base64")}`);
    const decoded = Buffer.from(basicCredentials("my client", "p:ss").slice(6), "base64").toString("utf8");
    expect(decoded).toBe("my%20client:p%3Ass");
  });

  it("builds an urlencoded form body (§4.4.2)", () => {
    expect(formBody({ grant_type: "client_credentials", scope: "a b" })).toBe(
      "grant_type=client_credentials&scope=a%20b",
    );
  });
});

describe("finding the records of a collection answer (notes §2.12)", () => {
  it("reads the array under the envelope key", () => {
    expect(envelopeRecords({ users: [{ sourcedId: "u1" }] }, "users")).toEqual([{ sourcedId: "u1" }]);
    expect(envelopeRecords({ users: {} }, "users")).toBeUndefined();
    expect(envelopeRecords([{ sourcedId: "u1" }], "users")).toBeUndefined();
    expect(envelopeRecords(undefined, "users")).toBeUndefined();
  });

  it("falls back to the only other array, ignoring statusInfoSet, and says which key it used", () => {
    expect(findRecords({ users: [], statusInfoSet: [{}] }, "users")).toEqual({ records: [], key: "users" });
    expect(findRecords({ data: [{ sourcedId: "u1" }], statusInfoSet: [{}] }, "users")).toEqual({
      records: [{ sourcedId: "u1" }],
      key: "data",
    });
  });

  it("finds nothing when the arrays are ambiguous or absent", () => {
    expect(findRecords({ a: [], b: [] }, "users")).toBeUndefined();
    expect(findRecords({ statusInfoSet: [] }, "users")).toBeUndefined();
    expect(findRecords("users", "users")).toBeUndefined();
  });
});
