// The consumer's settings: the profile (Brightspace or itslearning behaviour) merged with an optional config file,
// both zod-validated so every bad field is reported with its path; and the connection options from flags or
// ROSTERLAB_SYNC_* / ROSTERLAB_LMS_URL environment variables. The only consumer file that reads process.env.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { OrgTypeSchema, RoleSchema, SessionTypeSchema } from "../oneroster/index.js";
import { PROFILES, type ProfileName } from "./profiles.js";

const Percent = z.number().min(0).max(100);
const Thresholds = z.object({ insert: Percent, update: Percent, delete: Percent }).strict();

/** Every option of the engine. Options that only make sense inside an LMS UI are documented in docs/seed-rules.md. */
export const SyncSettingsSchema = z
  .object({
    profile: z.enum(["brightspace", "itslearning"]),
    /** OneRoster role → LMS role. A role missing here is an error on that user (seed 003, SIS Role Mappings). */
    roleMap: z.partialRecord(RoleSchema, z.string().min(1)),
    /** Org unit type names per OneRoster org type and session type, and for courses, classes and sections. */
    orgUnitTypes: z
      .object({
        org: z.partialRecord(OrgTypeSchema, z.string().min(1)),
        session: z.partialRecord(SessionTypeSchema, z.string().min(1)),
        template: z.string().min(1),
        offering: z.string().min(1),
        section: z.string().min(1),
      })
      .strict(),
    deletion: z
      .object({
        /** tobedeleted classes: keep the offering (drop the mapping), inactivate it, or archive it (itslearning). */
        classes: z.enum(["doNothing", "inactivate", "archive"]),
        /** tobedeleted users: soft delete into the trash can, or leave them be. */
        persons: z.enum(["softDelete", "ignore"]),
        /** A full run deletes what is missing from a collection read completely and not empty. */
        missingInFullRun: z.boolean(),
      })
      .strict(),
    safety: z
      .object({
        enabled: z.boolean(),
        /** Groups holding fewer records than this are not checked (a first import is all inserts). */
        minimumBase: z.number().int().min(0),
        thresholds: z.object({ persons: Thresholds, groups: Thresholds, memberships: Thresholds }).strict(),
      })
      .strict(),
    offeringDates: z
      .object({
        enabled: z.boolean(),
        sessionType: SessionTypeSchema,
        startOffsetDays: z.number().int(),
        endOffsetDays: z.number().int(),
      })
      .strict(),
    /** Map SIS users to LMS users created outside the SIS, by username or OrgDefinedId (seed 003). */
    mapExistingUsers: z.enum(["off", "username", "orgDefinedId"]),
    /** Map SIS org units to existing ones by org unit code (seed 003). */
    mapExistingOrgUnits: z.boolean(),
    /** Unenrol when an enrolment's end date has passed (seed 003, Unenrollment). */
    unenrolByEndDate: z.boolean(),
    /** Unenrol users from SIS orgs they are no longer associated with (seed 003, Unenrollment). */
    unenrolFromOrgs: z.boolean(),
    /** Which LMS fields the SIS may overwrite on update (seed 003, Overwriting Brightspace). */
    overwrite: z
      .object({
        userNames: z.boolean(),
        userEmail: z.boolean(),
        username: z.boolean(),
        orgUnitNames: z.boolean(),
        orgUnitCodes: z.boolean(),
      })
      .strict(),
    /** Which OneRoster field becomes the LMS OrgDefinedId. */
    orgDefinedIdFrom: z.enum(["sourcedId", "identifier"]),
    /** A paused integration fetches nothing and changes nothing (itslearning: summer holidays). */
    paused: z.boolean(),
    /** The scheduled update time (HH:MM), shown in status; a scheduler (cron, CI) runs `rosterlab sync` then. */
    schedule: z.string().regex(/^\d{2}:\d{2}$/, "expected HH:MM"),
    /** Grade export to the SIS (seed 003 "Grade Export" and "Configuration options": Grades Export). */
    grades: z
      .object({
        /** The source system has Grades Export enabled; without it nothing is ever sent. */
        export: z.boolean(),
        /** Send modified grades with the scheduled update (`rosterlab sync --grades`). */
        nightly: z.boolean(),
        /** Let teachers export a course on demand (`rosterlab grades export`). */
        onDemand: z.boolean(),
        /** Who scheduled exports are shown as in the export history (seed 003: the IPSIS service user). */
        serviceUser: z.string().min(1),
      })
      .strict(),
    fetch: z
      .object({
        pageSize: z.number().int().min(1).max(100_000),
        concurrency: z.number().int().min(1).max(32),
        timeoutMs: z.number().int().min(100),
        retries: z.number().int().min(0).max(20),
        /** Delta runs start this long before the previous run's start, so a write committed late is not missed. */
        overlapSeconds: z.number().int().min(0),
      })
      .strict(),
  })
  .strict();

export type SyncSettings = z.infer<typeof SyncSettingsSchema>;

/** A config file: any subset of the settings, merged over the profile. */
const ConfigFileSchema = z
  .object({
    profile: z.enum(["brightspace", "itslearning"]).optional(),
  })
  .passthrough();

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep merge of plain objects; arrays and scalars replace. */
function merge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) {
    return over === undefined ? base : over;
  }
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = merge(base[k], v);
  }
  return out;
}

/** Problems with a path each, e.g. `safety.thresholds.persons.delete: Too big: expected number to be <=100`. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(`${message}\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * The settings of a run: the profile (flag, else the file's `profile`, else brightspace) with the config file
 * merged over it. `roleMap` replaces the profile's map as a whole when given (a map is a decision, not a patch).
 */
export function resolveSettings(options: { profile?: ProfileName; file?: string; fileText?: string }): SyncSettings {
  let fileData: Record<string, unknown> = {};
  if (options.file !== undefined || options.fileText !== undefined) {
    let text = options.fileText;
    if (text === undefined && options.file !== undefined) {
      try {
        text = readFileSync(options.file, "utf8");
      } catch (err) {
        throw new ConfigError(`cannot read the config file ${options.file}`, [(err as Error).message]);
      }
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text ?? "");
    } catch (err) {
      throw new ConfigError(`the config file ${options.file ?? ""} is not valid JSON`, [(err as Error).message]);
    }
    const top = ConfigFileSchema.safeParse(parsed);
    if (!top.success) {
      throw new ConfigError(`the config file ${options.file ?? ""} is not an object`, ["(root): expected an object"]);
    }
    fileData = top.data;
  }
  const profileName = options.profile ?? (fileData.profile as ProfileName | undefined) ?? "brightspace";
  const base = PROFILES[profileName];
  const merged = merge(base, { ...fileData, profile: profileName }) as Record<string, unknown>;
  if (isPlainObject(fileData.roleMap)) {
    merged.roleMap = fileData.roleMap;
  }
  const result = SyncSettingsSchema.safeParse(merged);
  if (!result.success) {
    throw new ConfigError(
      `the config ${options.file ?? ""} has ${result.error.issues.length} bad field(s)`,
      result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`),
    );
  }
  return result.data;
}

/** Where the provider is and who we are to it. */
export interface Connection {
  baseUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
}

const Env = z.object({
  ROSTERLAB_SYNC_BASE_URL: z.string().optional(),
  ROSTERLAB_SYNC_TOKEN_URL: z.string().optional(),
  ROSTERLAB_SYNC_CLIENT_ID: z.string().optional(),
  ROSTERLAB_SYNC_CLIENT_SECRET: z.string().optional(),
  ROSTERLAB_SYNC_SCOPE: z.string().optional(),
  ROSTERLAB_SYNC_PROFILE: z.enum(["brightspace", "itslearning"]).optional(),
  ROSTERLAB_SYNC_CONFIG: z.string().optional(),
  ROSTERLAB_LMS_URL: z.string().optional(),
  USER: z.string().optional(),
});

export interface ConsumerEnv {
  connection: Partial<Connection>;
  profile?: ProfileName;
  configFile?: string;
  lmsUrl?: string;
  /** Who runs the command (recorded when approving a batch). */
  operator: string;
}

/** Reads the consumer's environment variables once (secrets stay out of shell history and npm's script banner). */
export function readConsumerEnv(env: NodeJS.ProcessEnv = process.env): ConsumerEnv {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      "bad environment",
      parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
    );
  }
  const e = parsed.data;
  const nonEmpty = (v: string | undefined) => (v && v.trim() !== "" ? v : undefined);
  const connection: Partial<Connection> = {};
  const set = <K extends keyof Connection>(k: K, v: string | undefined) => {
    if (nonEmpty(v)) {
      connection[k] = v as Connection[K];
    }
  };
  set("baseUrl", e.ROSTERLAB_SYNC_BASE_URL);
  set("tokenUrl", e.ROSTERLAB_SYNC_TOKEN_URL);
  set("clientId", e.ROSTERLAB_SYNC_CLIENT_ID);
  set("clientSecret", e.ROSTERLAB_SYNC_CLIENT_SECRET);
  set("scope", e.ROSTERLAB_SYNC_SCOPE);
  return {
    connection,
    ...(e.ROSTERLAB_SYNC_PROFILE ? { profile: e.ROSTERLAB_SYNC_PROFILE } : {}),
    ...(nonEmpty(e.ROSTERLAB_SYNC_CONFIG) ? { configFile: e.ROSTERLAB_SYNC_CONFIG } : {}),
    ...(nonEmpty(e.ROSTERLAB_LMS_URL) ? { lmsUrl: e.ROSTERLAB_LMS_URL } : {}),
    operator: nonEmpty(e.USER) ?? "operator",
  };
}
