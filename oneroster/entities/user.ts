// User (users / user), notes §2.10; students and teachers are users with that role.
import { z } from "zod";
import { baseShape, GuidRefSchema } from "../common.js";
import { RoleSchema } from "../enums.js";
import type { EntityDescriptor } from "../fields.js";
import { baseFields } from "./base.js";

export const UserIdSchema = z.object({ type: z.string(), identifier: z.string() });

export const UserSchema = z.object({
  ...baseShape,
  username: z.string(),
  userIds: z.array(UserIdSchema).optional(),
  enabledUser: z.boolean(),
  givenName: z.string(),
  familyName: z.string(),
  middleName: z.string().optional(),
  role: RoleSchema,
  identifier: z.string().optional(),
  email: z.string().optional(),
  sms: z.string().optional(),
  phone: z.string().optional(),
  agents: z.array(GuidRefSchema).optional(),
  orgs: z.array(GuidRefSchema).min(1),
  grades: z.array(z.string()).optional(),
  password: z.string().optional(),
});
export type User = z.infer<typeof UserSchema>;

export const userEntity: EntityDescriptor = {
  name: "user",
  collectionKey: "users",
  singleKey: "user",
  path: "users",
  gradebook: false,
  fields: {
    ...baseFields,
    username: { kind: "string" },
    userIds: { kind: "json" },
    enabledUser: { kind: "boolean" },
    givenName: { kind: "string" },
    familyName: { kind: "string" },
    middleName: { kind: "string" },
    role: { kind: "enum", values: RoleSchema.options },
    identifier: { kind: "string" },
    email: { kind: "string" },
    sms: { kind: "string" },
    phone: { kind: "string" },
    agents: { kind: "refs", target: "user" },
    orgs: { kind: "refs", target: "org" },
    grades: { kind: "strings" },
    password: { kind: "string" },
  },
};
