// Drizzle tables of the provider, in their own Postgres schema `provider`. Wire fields map to camelCase
// properties (snake_case columns via drizzle casing); references are stored as sourcedId columns
// (`<field>Id`, `<field>Ids`). Imported by server/ and seed/ only.
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

export const provider = pgSchema("provider");

/** Millisecond precision, so a `dateLastModified>'<value we emitted>'` never matches the same record (notes §8). */
const modified = () => timestamp({ precision: 3, withTimezone: true, mode: "date" }).notNull();

/** Columns every OneRoster record has (notes §2.2). */
const base = () => ({
  sourcedId: idText().primaryKey(),
  status: text().notNull().default("active"),
  dateLastModified: modified(),
  metadata: jsonb().$type<Record<string, unknown>>(),
});

const textArray = () => text().array();

/**
 * sourcedIds sort by code point (`COLLATE "C"`) on every backend, so the default order, paging and the
 * primary-key index agree between PGlite, Postgres and a client comparing strings (notes §3.3).
 */
const idText = customType<{ data: string }>({ dataType: () => 'text COLLATE "C"' });

export const orgs = provider.table(
  "orgs",
  {
    ...base(),
    name: text().notNull(),
    type: text().notNull(),
    identifier: text(),
    parentId: text(),
  },
  (t) => [index().on(t.parentId), index().on(t.type), index().on(t.dateLastModified)],
);

export const academicSessions = provider.table(
  "academic_sessions",
  {
    ...base(),
    title: text().notNull(),
    startDate: date({ mode: "string" }).notNull(),
    endDate: date({ mode: "string" }).notNull(),
    type: text().notNull(),
    parentId: text(),
    schoolYear: text().notNull(),
  },
  (t) => [index().on(t.parentId), index().on(t.type), index().on(t.dateLastModified)],
);

export const courses = provider.table(
  "courses",
  {
    ...base(),
    title: text().notNull(),
    schoolYearId: text(),
    courseCode: text(),
    grades: textArray(),
    subjects: textArray(),
    orgId: text().notNull(),
    subjectCodes: textArray(),
    resourceIds: textArray(),
  },
  (t) => [index().on(t.orgId), index().on(t.dateLastModified)],
);

export const classes = provider.table(
  "classes",
  {
    ...base(),
    title: text().notNull(),
    classCode: text(),
    classType: text().notNull(),
    location: text(),
    grades: textArray(),
    subjects: textArray(),
    courseId: text().notNull(),
    schoolId: text().notNull(),
    termIds: textArray().notNull(),
    subjectCodes: textArray(),
    periods: textArray(),
    resourceIds: textArray(),
  },
  (t) => [
    index().on(t.courseId),
    index().on(t.schoolId),
    index().using("gin", t.termIds),
    index().on(t.dateLastModified),
  ],
);

export const users = provider.table(
  "users",
  {
    ...base(),
    username: text().notNull(),
    userIds: jsonb().$type<{ type: string; identifier: string }[]>(),
    enabledUser: boolean().notNull(),
    givenName: text().notNull(),
    familyName: text().notNull(),
    middleName: text(),
    role: text().notNull(),
    identifier: text(),
    email: text(),
    sms: text(),
    phone: text(),
    agentIds: textArray(),
    orgIds: textArray().notNull(),
    grades: textArray(),
    password: text(),
  },
  (t) => [index().on(t.role), index().using("gin", t.orgIds), index().on(t.email), index().on(t.dateLastModified)],
);

export const enrollments = provider.table(
  "enrollments",
  {
    ...base(),
    userId: text().notNull(),
    classId: text().notNull(),
    schoolId: text().notNull(),
    role: text().notNull(),
    primary: boolean(),
    beginDate: date({ mode: "string" }),
    endDate: date({ mode: "string" }),
  },
  (t) => [index().on(t.userId), index().on(t.classId), index().on(t.schoolId), index().on(t.dateLastModified)],
);

export const demographics = provider.table(
  "demographics",
  {
    ...base(),
    birthDate: date({ mode: "string" }),
    sex: text(),
    americanIndianOrAlaskaNative: boolean(),
    asian: boolean(),
    blackOrAfricanAmerican: boolean(),
    nativeHawaiianOrOtherPacificIslander: boolean(),
    white: boolean(),
    demographicRaceTwoOrMoreRaces: boolean(),
    hispanicOrLatinoEthnicity: boolean(),
    countryOfBirthCode: text(),
    stateOfBirthAbbreviation: text(),
    cityOfBirth: text(),
    publicSchoolResidenceStatus: text(),
  },
  (t) => [index().on(t.dateLastModified)],
);

export const resources = provider.table(
  "resources",
  {
    ...base(),
    title: text(),
    roles: textArray(),
    importance: text(),
    vendorResourceId: text().notNull(),
    vendorId: text(),
    applicationId: text(),
  },
  (t) => [index().on(t.dateLastModified)],
);

/**
 * Gradebook rows carry `deleted`: a DELETE keeps the row as a `tobedeleted` tombstone for delta consumers
 * but hides it from ordinary reads and GET by id (notes §7.2).
 */
export const categories = provider.table(
  "categories",
  {
    ...base(),
    title: text().notNull(),
    deleted: boolean().notNull().default(false),
  },
  (t) => [index().on(t.dateLastModified)],
);

export const lineItems = provider.table(
  "line_items",
  {
    ...base(),
    title: text().notNull(),
    description: text(),
    assignDate: timestamp({ precision: 3, withTimezone: true, mode: "date" }).notNull(),
    dueDate: timestamp({ precision: 3, withTimezone: true, mode: "date" }).notNull(),
    classId: text().notNull(),
    categoryId: text(),
    gradingPeriodId: text(),
    resultValueMin: doublePrecision().notNull(),
    resultValueMax: doublePrecision().notNull(),
    deleted: boolean().notNull().default(false),
  },
  (t) => [index().on(t.classId), index().on(t.categoryId), index().on(t.dateLastModified)],
);

export const results = provider.table(
  "results",
  {
    ...base(),
    lineItemId: text().notNull(),
    studentId: text().notNull(),
    scoreStatus: text().notNull(),
    score: doublePrecision().notNull(),
    scoreDate: date({ mode: "string" }).notNull(),
    comment: text(),
    deleted: boolean().notNull().default(false),
  },
  (t) => [index().on(t.lineItemId), index().on(t.studentId), index().on(t.dateLastModified)],
);

/**
 * OAuth clients: the secret is stored as a salted scrypt hash, never in clear (notes §6.2). Fault presets of a client
 * live in `fault_switches` (scope `client:<clientId>`).
 */
export const oauthClients = provider.table("oauth_clients", {
  clientId: text().primaryKey(),
  name: text().notNull(),
  secretHash: text().notNull(),
  scopes: textArray().notNull(),
  /** `strict`: RFC 6749 token requests only; `lenient`: common deviations accepted and recorded as findings. */
  tokenLeniency: text().notNull().default("strict"),
  createdAt: timestamp({ precision: 3, withTimezone: true, mode: "date" }).notNull().defaultNow(),
  updatedAt: timestamp({ precision: 3, withTimezone: true, mode: "date" }).notNull().defaultNow(),
  /** Tokens issued before this instant are refused (set when the secret is rotated or the client deleted). */
  tokensValidAfter: timestamp({ precision: 3, withTimezone: true, mode: "date" }),
  /** A deleted client keeps its row (its request log stays readable) but gets no tokens and its tokens are refused. */
  deletedAt: timestamp({ precision: 3, withTimezone: true, mode: "date" }),
});

/** Token-signing keys; the newest active key signs, every stored key verifies. */
export const signingKeys = provider.table("signing_keys", {
  kid: text().primaryKey(),
  alg: text().notNull(),
  privateJwk: jsonb().$type<Record<string, unknown>>().notNull(),
  publicJwk: jsonb().$type<Record<string, unknown>>().notNull(),
  createdAt: timestamp({ precision: 3, withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

/** Provider-wide settings that must agree across replicas (quirks on for everyone, admin credential hash, clock). */
export const settings = provider.table("settings", {
  key: text().primaryKey(),
  value: jsonb().notNull(),
  updatedAt: timestamp({ precision: 3, withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

/**
 * The write clock: one row holding the newest dateLastModified any writer has taken. Every data write takes its
 * stamp from `provider.take_stamp(now)` (migrations 0005, 0007) as its last step before commit, which locks this row
 * until the commit: stamps are therefore handed out in commit order, each strictly later than the one before, and
 * never run ahead of the wall clock except by the millisecond steps that keep them strictly increasing. See docs in README "Delta reads".
 */
export const writeClock = provider.table(
  "write_clock",
  {
    id: boolean().primaryKey().default(true),
    lastStamp: timestamp({ precision: 3, withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [check("write_clock_one_row", sql`${t.id}`)],
);

/**
 * One row per token or data request: what a consumer did, without tokens, secrets or record contents (the query
 * string is kept with any credential parameter redacted). Bounded by age and row count (server/request-log).
 */
export const requestLog = provider.table(
  "request_log",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    at: timestamp({ precision: 3, withTimezone: true, mode: "date" }).notNull(),
    requestId: text().notNull(),
    clientId: text(),
    method: text().notNull(),
    path: text().notNull(),
    query: text(),
    /** operationId of the v1p1 endpoint (`getAllUsers`), `token` for the token endpoint, null otherwise. */
    operation: text(),
    status: integer().notNull(),
    durationMs: integer().notNull(),
    /** Response body bytes as sent (the declared length of a body cut by a fault). */
    bytes: integer(),
    /** X-Total-Count of a collection answer. */
    total: integer(),
    /** Retry-After of the answer, in milliseconds (a 429 or 503 that asked the client to wait). */
    retryAfterMs: integer(),
    /** Fault presets that acted on the request. */
    faults: textArray().notNull().default(sql`'{}'::text[]`),
    /** Deviations from the protocol a lenient provider accepted (token requests), for the scorecard. */
    findings: textArray().notNull().default(sql`'{}'::text[]`),
  },
  (t) => [index().on(t.at), index().on(t.clientId, t.at)],
);

/**
 * Fault presets switched on at run time (quirks and transport faults, see server/faults), one row per preset and
 * scope: `provider` for every client, `client:<clientId>` for one. In the database so every replica agrees.
 */
export const faultSwitches = provider.table(
  "fault_switches",
  {
    scope: text().notNull(),
    name: text().notNull(),
    /** The parameters as given (defaults are applied when read, so they can change without a migration). */
    params: jsonb().$type<Record<string, unknown>>().notNull(),
    switchedOnAt: timestamp({ precision: 3, withTimezone: true, mode: "date" }).notNull(),
    /** The preset switches itself off at this instant (its `duration`); null: on until switched off. */
    until: timestamp({ precision: 3, withTimezone: true, mode: "date" }),
  },
  (t) => [primaryKey({ columns: [t.scope, t.name] })],
);

/**
 * Request counters of fault presets (every Nth request, uses of one token), so a fault fires on the same requests
 * however many provider processes share the database. `key` is '' or the counted thing (a token's jti).
 */
export const faultCounters = provider.table(
  "fault_counters",
  {
    scope: text().notNull(),
    name: text().notNull(),
    key: text().notNull(),
    n: bigint({ mode: "number" }).notNull(),
    updatedAt: timestamp({ precision: 3, withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.name, t.key] }), index().on(t.updatedAt)],
);

/** All OneRoster data tables, in load order (parents before children). */
export const dataTables = {
  orgs,
  academicSessions,
  resources,
  courses,
  classes,
  users,
  demographics,
  enrollments,
  categories,
  lineItems,
  results,
} as const;
