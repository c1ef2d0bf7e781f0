// Judges and normalises provider records against the oneroster/ schemas: strict by default, or tolerant of the
// spellings real v1p1 providers use (notes §10: string booleans, nulls, `inactive`, OpenAPI errata, GUIDRef type
// families). The consumer parses every fetched record through here; the conformance suite reports the problems.
import type { z } from "zod";
import { ENTITIES, ENTITY_SCHEMAS, type EntityName, type GuidType } from "../index.js";

/** How forgiving the judgement is. */
export interface RecordCheckOptions {
  /** Accept the variants of notes §10 (nulls, `inactive`, misspelt enums, compatible GUIDRef types). */
  lenient?: boolean;
  /**
   * Which boolean spelling is accepted. v1p1 is ambiguous (notes §2.1): JSON `true` or the strings `"true"`/`"false"`.
   * `either` (the default) accepts both; `json` or `string` insists on one.
   */
  booleans?: "either" | "json" | "string";
}

/** GUIDRef types a reference of each target kind may carry when lenient (notes §2.3). */
const TYPE_FAMILY: Partial<Record<GuidType, readonly string[]>> = {
  org: ["org"],
  academicSession: ["academicSession", "term", "gradingPeriod"],
  user: ["user", "student", "teacher"],
};

/** Whether a GUIDRef type is acceptable for a field whose target is `target`. */
export function refTypeAccepted(target: GuidType, type: unknown, lenient: boolean): boolean {
  if (type === target) {
    return true;
  }
  return lenient && typeof type === "string" && (TYPE_FAMILY[target] ?? [target]).includes(type);
}

function retypeRef(value: unknown, target: GuidType): unknown {
  return value && typeof value === "object" && refTypeAccepted(target, (value as { type?: unknown }).type, true)
    ? { ...(value as object), type: target }
    : value;
}

/**
 * Applies the tolerated variants to a copy of a record so the strict schema can judge the rest. Boolean strings
 * become booleans when the options accept them; a boolean of the refused spelling is left for the schema (JSON
 * booleans) or turned into a string the schema refuses (string-only mode).
 */
export function normaliseRecord(
  entity: EntityName,
  record: Record<string, unknown>,
  options: RecordCheckOptions = {},
): Record<string, unknown> {
  const lenient = options.lenient ?? false;
  const booleans = options.booleans ?? "either";
  const fields = ENTITIES[entity].fields;
  const out: Record<string, unknown> = { ...record };
  if (lenient) {
    // IMS 1.1 OpenAPI erratum (notes §2.7).
    if (
      entity === "demographics" &&
      "americanIndianOrAlsakaNative" in out &&
      !("americanIndianOrAlaskaNative" in out)
    ) {
      out.americanIndianOrAlaskaNative = out.americanIndianOrAlsakaNative;
    }
    for (const [name, value] of Object.entries(out)) {
      if (value === null) {
        delete out[name];
      }
    }
    if (out.status === "inactive") {
      out.status = "tobedeleted";
    }
    if (out.scoreStatus === "not submmitted") {
      out.scoreStatus = "not submitted";
    }
  }
  for (const [name, kind] of Object.entries(fields)) {
    const value = out[name];
    if (value === undefined) {
      continue;
    }
    // Vocabulary extensions (`ext:…`) are legal in every mode (notes §2.1).
    if (kind.kind === "enum" && typeof value === "string" && value.startsWith("ext:")) {
      out[name] = kind.values[0];
    }
    if (kind.kind === "boolean") {
      if ((value === "true" || value === "false") && booleans !== "json") {
        out[name] = value === "true";
      } else if (typeof value === "boolean" && booleans === "string") {
        out[name] = String(value);
      }
    }
    if (lenient && kind.kind === "strings" && typeof value === "string") {
      out[name] = [value]; // `periods` as a single string (IMS OpenAPI erratum, notes §2.5)
    }
    if (lenient && kind.kind === "ref") {
      out[name] = retypeRef(value, kind.target);
    }
    if (lenient && kind.kind === "refs" && Array.isArray(value)) {
      out[name] = value.map((v) => retypeRef(v, kind.target));
    }
  }
  return out;
}

/**
 * Returns the problems of one record, as `field: message` lines; empty when valid.
 * Beyond the schema, every GUIDRef's type must match the field's target kind (notes §2.3).
 */
export function recordProblems(
  entity: EntityName,
  record: Record<string, unknown>,
  options: RecordCheckOptions = {},
): string[] {
  return checkRecord(entity, record, options).problems;
}

/**
 * A record judged: the normalised, schema-parsed value when valid (vocabulary extensions such as `ext:coach` kept
 * as sent, so an enum field may hold one), and its problems otherwise.
 */
export interface CheckedRecord<T> {
  value?: T;
  problems: string[];
}

/** Normalises, parses and reference-checks one record. */
export function checkRecord<T = Record<string, unknown>>(
  entity: EntityName,
  record: Record<string, unknown>,
  options: RecordCheckOptions = {},
): CheckedRecord<T> {
  const lenient = options.lenient ?? false;
  const booleans = options.booleans ?? "either";
  const fields = ENTITIES[entity].fields;
  const normalised = normaliseRecord(entity, record, options);
  const problems: string[] = [];
  const parsed = (ENTITY_SCHEMAS[entity] as z.ZodType).safeParse(normalised);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? "");
      const value = record[field];
      // A boolean of the spelling the options refuse: say so, not what the normalised copy looked like.
      const refusedSpelling =
        fields[field]?.kind === "boolean" &&
        issue.path.length === 1 &&
        ((booleans === "string" && typeof value === "boolean") ||
          (booleans === "json" && (value === "true" || value === "false")));
      const message = refusedSpelling
        ? `${JSON.stringify(value)} is not the boolean spelling asked for (booleans: "${booleans}")`
        : issue.message;
      problems.push(`${issue.path.join(".") || "(record)"}: ${message}`);
    }
  }
  for (const [name, kind] of Object.entries(fields)) {
    const value = normalised[name];
    if (kind.kind !== "ref" && kind.kind !== "refs") {
      continue;
    }
    const refs = kind.kind === "ref" ? [value] : Array.isArray(value) ? value : [];
    refs.forEach((ref, i) => {
      if (!ref || typeof ref !== "object") {
        return;
      }
      const type = (ref as { type?: unknown }).type;
      if (type !== undefined && !refTypeAccepted(kind.target, type, lenient)) {
        problems.push(
          `${name}${kind.kind === "refs" ? `.${i}` : ""}.type: "${String(type)}" is not a reference to a ${kind.target}${lenient ? "" : " (lenient mode accepts compatible types)"}`,
        );
      }
    });
  }
  if (problems.length > 0 || !parsed.success) {
    return { problems };
  }
  // The schema judged extension tokens through a stand-in (normaliseRecord); the value keeps the provider's own.
  const value = { ...(parsed.data as Record<string, unknown>) };
  for (const [name, kind] of Object.entries(fields)) {
    const original = record[name];
    if (kind.kind === "enum" && typeof original === "string" && original.startsWith("ext:")) {
      value[name] = original;
    }
  }
  return { value: value as T, problems };
}

/** A reference found in a record: the field it sits in, the id, the target kind, and its href. */
export interface FoundRef {
  field: string;
  sourcedId: string;
  type: string;
  target: GuidType;
  href?: string;
}

/** Every GUIDRef of a record, using the field descriptors to know where references live. */
export function refsOf(entity: EntityName, record: Record<string, unknown>): FoundRef[] {
  const found: FoundRef[] = [];
  for (const [name, kind] of Object.entries(ENTITIES[entity].fields)) {
    if (kind.kind !== "ref" && kind.kind !== "refs") {
      continue;
    }
    const value = record[name];
    const list = kind.kind === "ref" ? [value] : Array.isArray(value) ? value : [];
    for (const ref of list) {
      if (ref && typeof ref === "object" && typeof (ref as { sourcedId?: unknown }).sourcedId === "string") {
        const r = ref as { sourcedId: string; type?: unknown; href?: unknown };
        found.push({
          field: name,
          sourcedId: r.sourcedId,
          type: typeof r.type === "string" ? r.type : kind.target,
          target: kind.target,
          ...(typeof r.href === "string" ? { href: r.href } : {}),
        });
      }
    }
  }
  return found;
}
