// Field descriptors shared by every entity (notes §2.2).

import { StatusSchema } from "../enums.js";
import type { FieldKind } from "../fields.js";

export const baseFields = {
  sourcedId: { kind: "id" },
  status: { kind: "enum", values: StatusSchema.options },
  dateLastModified: { kind: "datetime" },
  metadata: { kind: "json" },
} satisfies Record<string, FieldKind>;
