// Field descriptors shared by every entity (digest §2.2).
import type { FieldKind } from "../fields.js";
import { StatusSchema } from "../enums.js";

export const baseFields = {
  sourcedId: { kind: "id" },
  status: { kind: "enum", values: StatusSchema.options },
  dateLastModified: { kind: "datetime" },
  metadata: { kind: "json" },
} satisfies Record<string, FieldKind>;
