// Validates provider records against the oneroster/ schemas: strict by default, or with the spellings notes §10
// lists when --lenient is on (string booleans, nulls, `inactive`, OpenAPI errata, GUIDRef type families).
import { ENTITIES, ENTITY_SCHEMAS, type EntityName, type GuidType } from "../oneroster/index.js";

/** GUIDRef types a reference of each target kind may carry under --lenient (notes §2.3). */
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

/** Applies the tolerated variants to a copy of a record so the strict schema can judge the rest. */
function normalise(entity: EntityName, record: Record<string, unknown>, lenient: boolean): Record<string, unknown> {
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
    if (lenient && kind.kind === "boolean" && (value === "true" || value === "false")) {
      out[name] = value === "true";
    }
    if (lenient && kind.kind === "strings" && typeof value === "string") {
      out[name] = [value]; // `periods` as a single string (IMS OpenAPI erratum, notes §2.5)
    }
    if (
      lenient &&
      kind.kind === "ref" &&
      value &&
      typeof value === "object" &&
      refTypeAccepted(kind.target, (value as { type?: unknown }).type, true)
    ) {
      out[name] = { ...(value as object), type: kind.target };
    }
    if (lenient && kind.kind === "refs" && Array.isArray(value)) {
      out[name] = value.map((v) =>
        v && typeof v === "object" && refTypeAccepted(kind.target, (v as { type?: unknown }).type, true)
          ? { ...(v as object), type: kind.target }
          : v,
      );
    }
  }
  return out;
}

/**
 * Returns the problems of one record, as `field: message` lines; empty when valid.
 * Beyond the schema, every GUIDRef's type must match the field's target kind (notes §2.3).
 */
export function recordProblems(entity: EntityName, record: Record<string, unknown>, lenient: boolean): string[] {
  const normalised = normalise(entity, record, lenient);
  const problems: string[] = [];
  const parsed = ENTITY_SCHEMAS[entity].safeParse(normalised);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`${issue.path.join(".") || "(record)"}: ${issue.message}`);
    }
  }
  for (const [name, kind] of Object.entries(ENTITIES[entity].fields)) {
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
          `${name}${kind.kind === "refs" ? `.${i}` : ""}.type: "${String(type)}" is not a reference to a ${kind.target}${lenient ? "" : " (--lenient accepts compatible types)"}`,
        );
      }
    });
  }
  return problems;
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
