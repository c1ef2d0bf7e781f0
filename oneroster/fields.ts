// Field descriptors: the kind of every top-level wire field of every entity, as data. The server's query engine
// (filter, sort, fields), its presenters and the conformance suite read these instead of guessing from schemas.
import type { GuidType } from "./enums.js";

/** What a wire field holds; decides which filter operators apply and how it is compared (notes §3.1). */
export type FieldKind =
  | { kind: "id" }
  | { kind: "string" }
  | { kind: "enum"; values: readonly string[] }
  | { kind: "date" }
  | { kind: "datetime" }
  | { kind: "number" }
  | { kind: "boolean" }
  | { kind: "strings" }
  | { kind: "ref"; target: GuidType }
  | { kind: "refs"; target: GuidType }
  | { kind: "json" };

/** The entity names of the v1p1 data model. */
export type EntityName =
  | "academicSession"
  | "class"
  | "course"
  | "demographics"
  | "enrollment"
  | "org"
  | "user"
  | "resource"
  | "category"
  | "lineItem"
  | "result";

/** One entity: its envelope keys, canonical collection path and every top-level field. */
export interface EntityDescriptor {
  name: EntityName;
  /** Collection envelope key, e.g. `users` (notes §2.12). */
  collectionKey: string;
  /** Single-object envelope key, e.g. `user`; `demographics` uses the same word for both. */
  singleKey: string;
  /** Canonical path segment under the base URL, used for GUIDRef hrefs. */
  path: string;
  /** True for gradebook entities: DELETE hides them from ordinary reads (notes §7.2). */
  gradebook: boolean;
  fields: Record<string, FieldKind>;
}
