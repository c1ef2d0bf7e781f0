// The collections a sync reads, in the call order of seed 003 (academicSessions, orgs — schools are orgs of
// type school —, courses, classes, users, enrollments), with their paths, envelope keys and entities.
import type { EntityName } from "../oneroster/index.js";

export interface SyncCollection {
  name: CollectionName;
  path: string;
  envelope: string;
  entity: EntityName;
}

export type CollectionName = "academicSessions" | "orgs" | "courses" | "classes" | "users" | "enrollments";

/** Seed 003 "Call Order". `/schools` is the `type=school` subset of `/orgs`, so reading `/orgs` covers it. */
export const CALL_ORDER: readonly SyncCollection[] = [
  { name: "academicSessions", path: "/academicSessions", envelope: "academicSessions", entity: "academicSession" },
  { name: "orgs", path: "/orgs", envelope: "orgs", entity: "org" },
  { name: "courses", path: "/courses", envelope: "courses", entity: "course" },
  { name: "classes", path: "/classes", envelope: "classes", entity: "class" },
  { name: "users", path: "/users", envelope: "users", entity: "user" },
  { name: "enrollments", path: "/enrollments", envelope: "enrollments", entity: "enrollment" },
];
