// Request bodies: byte limits enforced while the body streams in (hono's bodyLimit, before anything is buffered
// past the limit), and JSON parsed only after a linear scan bounds its nesting depth. Used by every body route.
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../app-env.js";
import { JSON_MAX_DEPTH } from "./limits.js";

/**
 * Caps the body at `maxBytes` as it streams: a declared Content-Length over the cap is refused without reading a
 * byte, a chunked body is refused as soon as it passes the cap. `refuse` renders the 413 for the route family
 * (a status payload, or an RFC 6749 error at the token endpoint). The connection is closed after the answer, so
 * a client still sending gigabytes is cut off instead of drained.
 */
export function limitBody(
  maxBytes: number,
  refuse: (c: Context<AppEnv>, error: BodyError) => Response,
): MiddlewareHandler<AppEnv> {
  const tooLarge = new BodyError("too_large", `body is larger than ${maxBytes} bytes`);
  const limiter = bodyLimit({
    maxSize: maxBytes,
    onError: (c) => {
      const res = refuse(c as Context<AppEnv>, tooLarge);
      res.headers.set("Connection", "close");
      return res;
    },
  });
  return async (c, next) => {
    let reached = false;
    try {
      return await limiter(c, async () => {
        reached = true;
        await next();
      });
    } catch (error) {
      // A body that breaks off while the limiter reads it (a client aborting) is that client's problem: a 400,
      // never an error that could be taken for the database's.
      if (reached) {
        throw error;
      }
      return refuse(c, aborted());
    }
  };
}

const aborted = () =>
  new BodyError("aborted", "the request body ended before it was complete (connection closed or bad framing)");

/** The whole body as text; a body that breaks off mid-way is a BodyError, not an unexpected failure. */
export async function readBodyText(c: Context<AppEnv>): Promise<string> {
  try {
    return await c.req.text();
  } catch {
    throw aborted();
  }
}

/** Why a body cannot be accepted, in words a client can act on. */
export class BodyError extends Error {
  constructor(
    readonly reason: "too_large" | "aborted" | "empty" | "syntax" | "depth" | "nul" | "surrogate" | "number",
    message: string,
  ) {
    super(message);
    this.name = "BodyError";
  }
}

/** True when objects and arrays nest deeper than `max` anywhere in `text` (a scan, no recursion). */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) {
        i++; // the escaped character, whatever it is
      } else if (c === 0x22) {
        inString = false;
      }
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) {
        return true;
      }
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/** True when any string (key or value) holds a NUL; walks with an explicit stack, so no depth can overflow it. */
/** A UTF-16 surrogate without its pair: JSON allows the escape, but UTF-8 (and so Postgres) cannot hold it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

type Unstorable = "nul" | "surrogate" | "number";

function unstorableText(text: string): Unstorable | undefined {
  if (text.includes("\u0000")) {
    return "nul";
  }
  return LONE_SURROGATE.test(text) ? "surrogate" : undefined;
}

/**
 * The first value a OneRoster store cannot keep as sent, walked without recursion (and without spreading a large
 * array into arguments): a NUL or a lone surrogate in a string or a key, or a number past a double (JSON.parse
 * turns 1e400 into Infinity, which would be stored as null).
 */
function firstUnstorable(root: unknown): Unstorable | undefined {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === "string") {
      const problem = unstorableText(value);
      if (problem) {
        return problem;
      }
    } else if (typeof value === "number") {
      if (!Number.isFinite(value)) {
        return "number";
      }
    } else if (Array.isArray(value)) {
      for (const item of value) {
        stack.push(item);
      }
    } else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        const problem = unstorableText(k);
        if (problem) {
          return problem;
        }
        stack.push(v);
      }
    }
  }
  return undefined;
}

const UNSTORABLE_MESSAGES: Record<Unstorable, string> = {
  nul: "body contains a NUL character (\\u0000), which no OneRoster value can hold",
  surrogate:
    "body contains an unpaired UTF-16 surrogate (a \\uD800-\\uDFFF escape without its pair), which is not a character; send the text as valid Unicode",
  number: "body contains a number too large for a double (e.g. 1e400); send a finite number",
};

/**
 * Parses a JSON body: empty, malformed, nested deeper than JSON_MAX_DEPTH, or holding what a store cannot keep as
 * sent (a NUL or an unpaired surrogate, which Postgres text cannot hold; a number past a double) are refused with a BodyError that says what to send instead.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === "") {
    throw new BodyError("empty", "body is empty; send the object as JSON");
  }
  if (nestsDeeperThan(text, JSON_MAX_DEPTH)) {
    throw new BodyError(
      "depth",
      `body nests objects and arrays more than ${JSON_MAX_DEPTH} levels deep; flatten metadata to at most that depth`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new BodyError("syntax", `body is not valid JSON (${(e as Error).message})`);
  }
  const problem = firstUnstorable(parsed);
  if (problem) {
    throw new BodyError(problem, UNSTORABLE_MESSAGES[problem]);
  }
  return parsed;
}
