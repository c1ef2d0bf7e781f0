// The Link header (notes §4): first/prev/next/last, other parameters kept and percent-encoded.
import { describe, expect, it } from "vitest";
import { linkHeader } from "../../server/query/paginate.js";

const url = "http://h/ims/oneroster/v1p1/students";

function rels(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? "").split(", ")) {
    const m = /^<([^>]+)>; rel="(\w+)"$/.exec(part);
    if (!m?.[1] || !m[2]) {
      throw new Error(`malformed link part: ${part}`);
    }
    out[m[2]] = m[1];
  }
  return out;
}

describe("linkHeader", () => {
  it("matches the notes' example: 503 records, page size 10, at offset 10", () => {
    const links = rels(linkHeader({ url, params: [], offset: 10, limit: 10, total: 503 }));
    expect(links).toEqual({
      next: `${url}?limit=10&offset=20`,
      prev: `${url}?limit=10&offset=0`,
      first: `${url}?limit=10&offset=0`,
      last: `${url}?limit=10&offset=500`,
    });
  });
  it("omits prev on the first page and next on the last", () => {
    expect(Object.keys(rels(linkHeader({ url, params: [], offset: 0, limit: 10, total: 25 })))).toEqual([
      "next",
      "first",
      "last",
    ]);
    expect(Object.keys(rels(linkHeader({ url, params: [], offset: 20, limit: 10, total: 25 })))).toEqual([
      "prev",
      "first",
      "last",
    ]);
  });
  it("keeps filter, sort, orderBy and fields, encoding spaces as %20", () => {
    const params: [string, string][] = [
      ["filter", "givenName='Mary Ann'"],
      ["sort", "familyName"],
      ["limit", "2"],
      ["fields", "sourcedId,givenName"],
    ];
    const next = rels(linkHeader({ url, params, offset: 0, limit: 2, total: 5 })).next ?? "";
    const parsed = new URL(next);
    expect(parsed.searchParams.get("filter")).toBe("givenName='Mary Ann'");
    expect(parsed.searchParams.get("sort")).toBe("familyName");
    expect(parsed.searchParams.get("fields")).toBe("sourcedId,givenName");
    expect(parsed.searchParams.get("offset")).toBe("2");
    expect(parsed.searchParams.getAll("limit")).toEqual(["2"]);
    expect(next).toContain("Mary%20Ann");
    expect(next).not.toContain("+");
  });
  it("drops the named parameters (link-drops-filter quirk)", () => {
    const next =
      rels(linkHeader({ url, params: [["filter", "a='b'"]], offset: 0, limit: 1, total: 3, drop: ["filter"] })).next ??
      "";
    expect(new URL(next).searchParams.has("filter")).toBe(false);
  });
  it("points last at offset 0 for an empty collection and prev back into range past the end", () => {
    expect(rels(linkHeader({ url, params: [], offset: 0, limit: 10, total: 0 })).last).toBe(`${url}?limit=10&offset=0`);
    expect(rels(linkHeader({ url, params: [], offset: 90, limit: 10, total: 25 })).prev).toBe(
      `${url}?limit=10&offset=20`,
    );
  });
});

describe("linkHeader within a size budget", () => {
  const params: [string, string][] = [["fields", Array(400).fill("sourcedId").join(",")]];
  it("leaves out last, first and prev, in that order, until the header fits", () => {
    const full = linkHeader({ url, params, offset: 10, limit: 10, total: 503 }) ?? "";
    const one = Buffer.byteLength(full) / 4;
    const fits = (n: number) => linkHeader({ url, params, offset: 10, limit: 10, total: 503, maxBytes: one * n + 10 });
    expect(Object.keys(rels(fits(4)))).toEqual(["next", "prev", "first", "last"]);
    expect(Object.keys(rels(fits(3)))).toEqual(["next", "prev", "first"]);
    expect(Object.keys(rels(fits(2)))).toEqual(["next", "prev"]);
    expect(Object.keys(rels(fits(1)))).toEqual(["next"]);
  });
  it("sends no Link header at all when even next does not fit", () => {
    expect(linkHeader({ url, params, offset: 10, limit: 10, total: 503, maxBytes: 100 })).toBeUndefined();
  });
});
