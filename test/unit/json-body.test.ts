// The JSON body reader (issue 8, item 1): nesting depth is bounded by a scan before JSON.parse, brackets inside
// strings do not count, and a NUL anywhere is refused without recursion.
import { describe, expect, it } from "vitest";
import { BodyError, nestsDeeperThan, parseJsonBody } from "../../server/http/body.js";
import { JSON_MAX_DEPTH } from "../../server/http/limits.js";

describe("nestsDeeperThan", () => {
  it("counts objects and arrays, not brackets inside strings or escaped quotes", () => {
    expect(nestsDeeperThan('{"a":[{"b":1}]}', 3)).toBe(false);
    expect(nestsDeeperThan('{"a":[{"b":[1]}]}', 3)).toBe(true);
    expect(nestsDeeperThan(`{"a":"${"[".repeat(100)}"}`, 1)).toBe(false);
    expect(nestsDeeperThan(`{"a":"\\"${"{".repeat(100)}"}`, 1)).toBe(false);
    expect(nestsDeeperThan(`${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}`, JSON_MAX_DEPTH)).toBe(true);
  });
});

describe("parseJsonBody", () => {
  it.each([
    ["", "empty"],
    ["   ", "empty"],
    ["{", "syntax"],
    [`{"a":${"[".repeat(JSON_MAX_DEPTH)}${"]".repeat(JSON_MAX_DEPTH)}}`, "depth"],
    ['{"a":"x\\u0000y"}', "nul"],
    ['{"a\\u0000":1}', "nul"],
    [`{"a":[[[["\\u0000"]]]]}`, "nul"],
    ['{"title":"x\\ud800y"}', "surrogate"],
    ['{"title":"\\udc00"}', "surrogate"],
    ['{"\\ud83d":1}', "surrogate"],
    ['{"metadata":{"a":["ok","\\ud83d"]}}', "surrogate"],
    ['{"score":1e400}', "number"],
    ['{"a":[-1e999]}', "number"],
  ])("refuses %j as %s", (text, reason) => {
    expect(() => parseJsonBody(text)).toThrow(BodyError);
    try {
      parseJsonBody(text);
    } catch (e) {
      expect((e as BodyError).reason).toBe(reason);
    }
  });

  it("keeps paired surrogates (emoji), large finite numbers, and walks a long flat array without spreading it", () => {
    expect(parseJsonBody('{"title":"\\ud83d\\ude00 ok","score":1.7976931348623157e308}')).toEqual({
      title: "\u{1F600} ok",
      score: Number.MAX_VALUE,
    });
    const many = `[${Array.from({ length: 300_000 }, () => "0").join(",")}]`;
    expect((parseJsonBody(many) as number[]).length).toBe(300_000);
  });

  it("parses a body exactly at the depth bound", () => {
    const text = `${"[".repeat(JSON_MAX_DEPTH)}${"]".repeat(JSON_MAX_DEPTH)}`;
    expect(parseJsonBody(text)).toBeInstanceOf(Array);
  });
});
