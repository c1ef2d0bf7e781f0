// Transport fault presets: what real providers do to a consumer on the wire (latency, 5xx bursts, 429 with and
// without Retry-After, tokens dying mid-run, connections cut mid-body, data changing under a pager, an empty feed).
// Each has zod-checked parameters with defaults; when and where it fires is decided in trigger.ts and engine.ts.
import { z } from "zod";

/** `users+enrollments` (CLI, header) or ["users", "enrollments"] (JSON). */
const names = z.preprocess(
  (v) =>
    typeof v === "string"
      ? v
          .split("+")
          .map((s) => s.trim())
          .filter((s) => s !== "")
      : v,
  z.array(z.string().regex(/^[A-Za-z]+$/, "a collection name such as users or enrollments")).min(1),
);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Parameters every preset (quirks included) takes: where it applies and for how long. */
export const COMMON_PARAMS = {
  collections: names.optional(),
  duration: int(1, 30 * 86400).optional(),
} as const;

/** When a counted preset fires: every Nth request a burst of B, or a seeded rate; see trigger.ts. */
const trigger = {
  every: int(1, 1_000_000).optional(),
  burst: int(1, 10_000).optional(),
  rate: z.coerce.number().gt(0).max(1).optional(),
  seed: int(0, 2 ** 31 - 1).default(1),
};

/**
 * A preset's own parameters first (so spec strings read `server-errors:status=502,every=3`), then the trigger and the
 * common ones. Defaults for every and burst depend on each other: `every=1` alone means every request.
 */
const withTrigger = <T extends z.ZodRawShape>(shape: T, every: number, burst: number) =>
  z
    .strictObject({ ...shape, ...trigger, ...COMMON_PARAMS })
    .transform((p) => {
      const t = p as { every?: number; burst?: number; rate?: number };
      const e = t.every ?? every;
      return { ...p, every: e, burst: t.burst ?? Math.min(burst, e), rate: t.rate };
    })
    .refine((p) => p.rate !== undefined || p.burst <= p.every, { message: "burst must not exceed every" });

export const TRANSPORT_FAULTS = {
  latency: {
    description: "adds a delay before each matching response",
    params: withTrigger({ ms: int(1, 60_000).default(250) }, 1, 1),
  },
  "server-errors": {
    description: "bursts of 5xx answers: every Nth request starts a burst of B failures",
    params: withTrigger(
      {
        status: z.coerce
          .number()
          .pipe(z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]))
          .default(503),
      },
      10,
      3,
    ),
  },
  "rate-limit": {
    description: "bursts of 429 answers with a Retry-After header (seconds, or an HTTP date)",
    params: withTrigger(
      { retryAfter: int(0, 3600).default(1), retryAfterAs: z.enum(["seconds", "date"]).default("seconds") },
      10,
      2,
    ),
  },
  "rate-limit-no-retry-after": {
    description: "bursts of 429 answers without a Retry-After header",
    params: withTrigger({}, 10, 2),
  },
  "token-expiry": {
    description:
      "access tokens die mid-run: refused with 401 after `uses` data requests, or `seconds` after they were issued",
    params: z
      .strictObject({ uses: int(1, 1_000_000).optional(), seconds: int(1, 86400).optional(), ...COMMON_PARAMS })
      .refine((p) => p.uses === undefined || p.seconds === undefined, { message: "give uses or seconds, not both" })
      .transform((p) => (p.uses === undefined && p.seconds === undefined ? { ...p, uses: 25 } : p)),
  },
  "drop-connection": {
    description: "sends the headers and part of the body (the fraction `at`), then destroys the connection",
    params: withTrigger({ at: z.coerce.number().min(0).max(0.99).default(0.5) }, 5, 1),
  },
  "data-churn": {
    description:
      "between page reads (offset > 0) inserts a copy of a record and tombstones another, ahead of the cursor (or behind it), through the normal write path",
    params: withTrigger(
      {
        action: z.enum(["insert", "delete", "both"]).default("both"),
        where: z.enum(["ahead", "behind"]).default("ahead"),
      },
      1,
      1,
    ),
  },
  "empty-feed": {
    description: "every collection answers 200 with no records and X-Total-Count 0; single reads answer 404",
    params: z.strictObject({ ...COMMON_PARAMS }),
  },
} as const;

export type TransportFaultName = keyof typeof TRANSPORT_FAULTS;
export const TRANSPORT_FAULT_NAMES = Object.keys(TRANSPORT_FAULTS) as TransportFaultName[];
export type TransportParams<N extends TransportFaultName> = z.output<(typeof TRANSPORT_FAULTS)[N]["params"]>;

export function isTransportFaultName(name: string): name is TransportFaultName {
  return Object.hasOwn(TRANSPORT_FAULTS, name);
}

/** One line per parameter, for --help, GET /admin/quirks and the README. */
export const PARAMETER_HELP: Record<string, string> = {
  collections: "only requests for these collections (path segment or envelope key), joined by + (default: all)",
  duration: "switch the preset off again after this many seconds",
  every: "a burst starts every Nth matching request (counted in the database)",
  burst: "how many requests in a row a burst hits",
  rate: "instead of every: the chance (0–1) that a request starts a burst, from a seeded generator",
  seed: "seed of the rate generator (the same seed fires on the same requests)",
  ms: "delay in milliseconds",
  status: "HTTP status of the failures: 500, 502, 503 or 504",
  retryAfter: "Retry-After in seconds (0 allowed)",
  retryAfterAs: "seconds or date (an HTTP date that many seconds ahead)",
  uses: "data requests a token may make before it is refused",
  seconds: "seconds after issue a token is refused (by the provider's clock)",
  at: "fraction of the body sent before the connection is cut (0 sends headers only)",
  action: "insert, delete or both",
  where: "ahead of the cursor (the client's next pages) or behind it (pages already read)",
};

/** The parameter names a preset takes. */
export function transportParamNames(name: TransportFaultName): string[] {
  const schema = TRANSPORT_FAULTS[name].params as unknown as { def?: unknown };
  return shapeKeys(schema);
}

/** Walks refine/transform/pipe wrappers down to the object shape (zod 4 internals kept in one place). */
function shapeKeys(schema: unknown): string[] {
  let current = schema as { shape?: Record<string, unknown>; def?: { in?: unknown; schema?: unknown } } | undefined;
  for (let i = 0; i < 5 && current; i++) {
    if (current.shape) {
      return Object.keys(current.shape);
    }
    current = (current.def?.in ?? current.def?.schema) as typeof current;
  }
  return [];
}
