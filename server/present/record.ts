// DB row → wire object (notes §2): GUIDRefs with absolute hrefs, ISO dates with `Z`, absent optional fields
// left out rather than null or empty, field selection (notes §3.2), and booleans in the configured wire form.
import { ENTITIES, type EntityName, type FieldKind, type GuidType, HREF_PATH } from "../../oneroster/index.js";
import type { Row } from "../repo/records.js";

export type WireRecord = Record<string, unknown>;

function ref(base: string, target: GuidType, id: string) {
  return { href: `${base}/${HREF_PATH[target]}/${encodeURIComponent(id)}`, sourcedId: id, type: target };
}

/** JSON `true`/`false`, or the strings `"true"`/`"false"` (notes §2.1: v1p1 is ambiguous; see config.booleans). */
export type BooleanForm = "json" | "string";

function present1(kind: FieldKind, value: unknown, base: string, booleans: BooleanForm): unknown {
  if (value === null || value === undefined || value === "") {
    return undefined;
  }
  switch (kind.kind) {
    case "datetime":
      return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
    case "ref":
      return ref(base, kind.target, String(value));
    case "refs": {
      const ids = value as string[];
      return ids.length === 0 ? undefined : ids.map((id) => ref(base, kind.target, id));
    }
    case "strings": {
      const list = value as string[];
      return list.length === 0 ? undefined : list;
    }
    case "json": {
      if (Array.isArray(value) && value.length === 0) {
        return undefined;
      }
      return typeof value === "string" ? JSON.parse(value) : value;
    }
    case "number":
      return typeof value === "number" ? value : Number(value);
    case "boolean": {
      const flag = value === true || value === "true" || value === "t";
      return booleans === "string" ? String(flag) : flag;
    }
    default:
      return value;
  }
}

/** Presents one row; `base` is the absolute base URL (…/ims/oneroster/v1p1) used in hrefs. */
export function presentRecord(
  entity: EntityName,
  row: Row,
  base: string,
  fields?: readonly string[],
  booleans: BooleanForm = "json",
): WireRecord {
  const descriptor = ENTITIES[entity].fields;
  const out: WireRecord = {};
  for (const name of fields ?? Object.keys(descriptor)) {
    const kind = descriptor[name];
    if (!kind) {
      continue;
    }
    const value = present1(kind, row[name], base, booleans);
    if (value !== undefined) {
      out[name] = value;
    }
  }
  return out;
}
