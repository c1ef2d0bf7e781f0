// Every v1p1 operation as data (notes §1): the 61 operations plus the one extension real clients call.
// The server mounts routes from this table, the conformance suite walks it, the consumer reads paths from it.
import type { EntityName } from "./fields.js";

/** Every v1p1 path is relative to this root (notes §1.1). */
export const ONEROSTER_BASE_PATH = "/ims/oneroster/v1p1";

/** Scope URIs of v1p1 (notes §6.2). */
export const SCOPE_PREFIX = "https://purl.imsglobal.org/spec/or/v1p1/scope/";
export const SCOPES = {
  rosterCore: `${SCOPE_PREFIX}roster-core.readonly`,
  roster: `${SCOPE_PREFIX}roster.readonly`,
  demographics: `${SCOPE_PREFIX}roster-demographics.readonly`,
  resource: `${SCOPE_PREFIX}resource.readonly`,
  gradebookRead: `${SCOPE_PREFIX}gradebook.readonly`,
  gradebookWrite: `${SCOPE_PREFIX}gradebook.createput`,
  gradebookDelete: `${SCOPE_PREFIX}gradebook.delete`,
} as const;
export const ALL_SCOPES: readonly string[] = Object.values(SCOPES);

export type Service = "rostering" | "resources" | "gradebook";
/** Certification tier (notes §1.2). EXT marks a de-facto extension outside the 61. */
export type Tier = "CORE" | "REL" | "DEMO" | "RES" | "GB" | "EXT";
export type OperationKind = "collection" | "single" | "put" | "delete";

/** A subset endpoint serves only records whose field equals a value (`/students` ⇒ role=student). */
export interface Subset {
  field: string;
  value: string;
}

/** A path parameter: its name in the template and the collection operation that lists valid values. */
export interface PathParam {
  name: string;
  /** operationId of a collection whose records are valid values, e.g. `getAllSchools`. */
  from: string;
}

export interface Endpoint {
  operationId: string;
  method: "GET" | "PUT" | "DELETE";
  /** Path template relative to the base URL, with `{name}` parameters. */
  path: string;
  service: Service;
  tier: Tier;
  kind: OperationKind;
  entity: EntityName;
  /** The envelope key of the response (or of the PUT request body). */
  envelope: string;
  /** Any one of these scopes grants access (notes §6.2). */
  scopes: readonly string[];
  subset?: Subset;
  params: readonly PathParam[];
  /** True for operations outside the 61 of the v1p1 tables. */
  extension?: boolean;
}

const S = SCOPES;
const CORE = [S.rosterCore, S.roster] as const;
const REL = [S.roster] as const;

const p = (name: string, from: string): PathParam => ({ name, from });

/** Builds one row; keeps the table below readable. */
function op(
  operationId: string,
  method: Endpoint["method"],
  path: string,
  tier: Tier,
  kind: OperationKind,
  entity: EntityName,
  envelope: string,
  scopes: readonly string[],
  extra: { subset?: Subset; params?: PathParam[]; extension?: boolean } = {},
): Endpoint {
  const service: Service = tier === "RES" ? "resources" : tier === "GB" || tier === "EXT" ? "gradebook" : "rostering";
  return {
    operationId,
    method,
    path,
    service,
    tier,
    kind,
    entity,
    envelope,
    scopes,
    params: extra.params ?? [],
    ...(extra.subset ? { subset: extra.subset } : {}),
    ...(extra.extension ? { extension: true } : {}),
  };
}

const school: Subset = { field: "type", value: "school" };
const student: Subset = { field: "role", value: "student" };
const teacher: Subset = { field: "role", value: "teacher" };
const term: Subset = { field: "type", value: "term" };
const gradingPeriod: Subset = { field: "type", value: "gradingPeriod" };

const id = (from: string) => [p("id", from)];

/** The endpoint table: 41 rostering (§1.3), 4 resources (§1.4), 16 gradebook (§1.5), 1 extension. */
export const ENDPOINTS: readonly Endpoint[] = [
  // Rostering, CORE: collection and single read for 11 resource types.
  op(
    "getAllAcademicSessions",
    "GET",
    "/academicSessions",
    "CORE",
    "collection",
    "academicSession",
    "academicSessions",
    CORE,
  ),
  op(
    "getAcademicSession",
    "GET",
    "/academicSessions/{id}",
    "CORE",
    "single",
    "academicSession",
    "academicSession",
    CORE,
    { params: id("getAllAcademicSessions") },
  ),
  op("getAllClasses", "GET", "/classes", "CORE", "collection", "class", "classes", CORE),
  op("getClass", "GET", "/classes/{id}", "CORE", "single", "class", "class", CORE, { params: id("getAllClasses") }),
  op("getAllCourses", "GET", "/courses", "CORE", "collection", "course", "courses", CORE),
  op("getCourse", "GET", "/courses/{id}", "CORE", "single", "course", "course", CORE, { params: id("getAllCourses") }),
  op(
    "getAllGradingPeriods",
    "GET",
    "/gradingPeriods",
    "CORE",
    "collection",
    "academicSession",
    "academicSessions",
    CORE,
    { subset: gradingPeriod },
  ),
  op("getGradingPeriod", "GET", "/gradingPeriods/{id}", "CORE", "single", "academicSession", "academicSession", CORE, {
    subset: gradingPeriod,
    params: id("getAllGradingPeriods"),
  }),
  op("getAllDemographics", "GET", "/demographics", "DEMO", "collection", "demographics", "demographics", [
    S.demographics,
  ]),
  op(
    "getDemographics",
    "GET",
    "/demographics/{id}",
    "DEMO",
    "single",
    "demographics",
    "demographics",
    [S.demographics],
    { params: id("getAllDemographics") },
  ),
  op("getAllEnrollments", "GET", "/enrollments", "CORE", "collection", "enrollment", "enrollments", CORE),
  op("getEnrollment", "GET", "/enrollments/{id}", "CORE", "single", "enrollment", "enrollment", CORE, {
    params: id("getAllEnrollments"),
  }),
  op("getAllOrgs", "GET", "/orgs", "CORE", "collection", "org", "orgs", CORE),
  op("getOrg", "GET", "/orgs/{id}", "CORE", "single", "org", "org", CORE, { params: id("getAllOrgs") }),
  op("getAllSchools", "GET", "/schools", "CORE", "collection", "org", "orgs", CORE, { subset: school }),
  op("getSchool", "GET", "/schools/{id}", "CORE", "single", "org", "org", CORE, {
    subset: school,
    params: id("getAllSchools"),
  }),
  op("getAllStudents", "GET", "/students", "CORE", "collection", "user", "users", CORE, { subset: student }),
  op("getStudent", "GET", "/students/{id}", "CORE", "single", "user", "user", CORE, {
    subset: student,
    params: id("getAllStudents"),
  }),
  op("getAllTeachers", "GET", "/teachers", "CORE", "collection", "user", "users", CORE, { subset: teacher }),
  op("getTeacher", "GET", "/teachers/{id}", "CORE", "single", "user", "user", CORE, {
    subset: teacher,
    params: id("getAllTeachers"),
  }),
  op("getAllTerms", "GET", "/terms", "CORE", "collection", "academicSession", "academicSessions", CORE, {
    subset: term,
  }),
  op("getTerm", "GET", "/terms/{id}", "CORE", "single", "academicSession", "academicSession", CORE, {
    subset: term,
    params: id("getAllTerms"),
  }),
  op("getAllUsers", "GET", "/users", "CORE", "collection", "user", "users", CORE),
  op("getUser", "GET", "/users/{id}", "CORE", "single", "user", "user", CORE, { params: id("getAllUsers") }),
  // Rostering, REL: relationship reads (semantics in notes §1.3 notes).
  op("getCoursesForSchool", "GET", "/schools/{schoolId}/courses", "REL", "collection", "course", "courses", REL, {
    params: [p("schoolId", "getAllSchools")],
  }),
  op(
    "getEnrollmentsForClassInSchool",
    "GET",
    "/schools/{schoolId}/classes/{classId}/enrollments",
    "REL",
    "collection",
    "enrollment",
    "enrollments",
    REL,
    { params: [p("schoolId", "getAllSchools"), p("classId", "getClassesForSchool")] },
  ),
  op(
    "getStudentsForClassInSchool",
    "GET",
    "/schools/{schoolId}/classes/{classId}/students",
    "REL",
    "collection",
    "user",
    "users",
    REL,
    { subset: student, params: [p("schoolId", "getAllSchools"), p("classId", "getClassesForSchool")] },
  ),
  op(
    "getTeachersForClassInSchool",
    "GET",
    "/schools/{schoolId}/classes/{classId}/teachers",
    "REL",
    "collection",
    "user",
    "users",
    REL,
    { subset: teacher, params: [p("schoolId", "getAllSchools"), p("classId", "getClassesForSchool")] },
  ),
  op(
    "getEnrollmentsForSchool",
    "GET",
    "/schools/{schoolId}/enrollments",
    "REL",
    "collection",
    "enrollment",
    "enrollments",
    REL,
    { params: [p("schoolId", "getAllSchools")] },
  ),
  op("getStudentsForSchool", "GET", "/schools/{schoolId}/students", "REL", "collection", "user", "users", REL, {
    subset: student,
    params: [p("schoolId", "getAllSchools")],
  }),
  op("getTeachersForSchool", "GET", "/schools/{schoolId}/teachers", "REL", "collection", "user", "users", REL, {
    subset: teacher,
    params: [p("schoolId", "getAllSchools")],
  }),
  op(
    "getTermsForSchool",
    "GET",
    "/schools/{schoolId}/terms",
    "REL",
    "collection",
    "academicSession",
    "academicSessions",
    REL,
    { subset: term, params: [p("schoolId", "getAllSchools")] },
  ),
  op("getClassesForTerm", "GET", "/terms/{termId}/classes", "REL", "collection", "class", "classes", REL, {
    params: [p("termId", "getAllTerms")],
  }),
  op(
    "getGradingPeriodsForTerm",
    "GET",
    "/terms/{termId}/gradingPeriods",
    "REL",
    "collection",
    "academicSession",
    "academicSessions",
    REL,
    { subset: gradingPeriod, params: [p("termId", "getAllTerms")] },
  ),
  op("getClassesForCourse", "GET", "/courses/{courseId}/classes", "REL", "collection", "class", "classes", REL, {
    params: [p("courseId", "getAllCourses")],
  }),
  op("getClassesForStudent", "GET", "/students/{studentId}/classes", "REL", "collection", "class", "classes", REL, {
    params: [p("studentId", "getAllStudents")],
  }),
  op("getClassesForTeacher", "GET", "/teachers/{teacherId}/classes", "REL", "collection", "class", "classes", REL, {
    params: [p("teacherId", "getAllTeachers")],
  }),
  op("getClassesForSchool", "GET", "/schools/{schoolId}/classes", "REL", "collection", "class", "classes", REL, {
    params: [p("schoolId", "getAllSchools")],
  }),
  op("getClassesForUser", "GET", "/users/{userId}/classes", "REL", "collection", "class", "classes", REL, {
    params: [p("userId", "getAllUsers")],
  }),
  op("getStudentsForClass", "GET", "/classes/{classId}/students", "REL", "collection", "user", "users", REL, {
    subset: student,
    params: [p("classId", "getAllClasses")],
  }),
  op("getTeachersForClass", "GET", "/classes/{classId}/teachers", "REL", "collection", "user", "users", REL, {
    subset: teacher,
    params: [p("classId", "getAllClasses")],
  }),
  // Resources (§1.4).
  op("getAllResources", "GET", "/resources", "RES", "collection", "resource", "resources", [S.resource]),
  op("getResource", "GET", "/resources/{id}", "RES", "single", "resource", "resource", [S.resource], {
    params: id("getAllResources"),
  }),
  op(
    "getResourcesForCourse",
    "GET",
    "/courses/{courseId}/resources",
    "RES",
    "collection",
    "resource",
    "resources",
    [S.resource],
    { params: [p("courseId", "getAllCourses")] },
  ),
  op(
    "getResourcesForClass",
    "GET",
    "/classes/{classId}/resources",
    "RES",
    "collection",
    "resource",
    "resources",
    [S.resource],
    { params: [p("classId", "getAllClasses")] },
  ),
  // Gradebook (§1.5).
  op("getAllCategories", "GET", "/categories", "GB", "collection", "category", "categories", [S.gradebookRead]),
  op("getCategory", "GET", "/categories/{id}", "GB", "single", "category", "category", [S.gradebookRead], {
    params: id("getAllCategories"),
  }),
  op("putCategory", "PUT", "/categories/{id}", "GB", "put", "category", "category", [S.gradebookWrite], {
    params: id("getAllCategories"),
  }),
  op("deleteCategory", "DELETE", "/categories/{id}", "GB", "delete", "category", "category", [S.gradebookDelete], {
    params: id("getAllCategories"),
  }),
  op("getAllLineItems", "GET", "/lineItems", "GB", "collection", "lineItem", "lineItems", [S.gradebookRead]),
  op("getLineItem", "GET", "/lineItems/{id}", "GB", "single", "lineItem", "lineItem", [S.gradebookRead], {
    params: id("getAllLineItems"),
  }),
  op("putLineItem", "PUT", "/lineItems/{id}", "GB", "put", "lineItem", "lineItem", [S.gradebookWrite], {
    params: id("getAllLineItems"),
  }),
  op("deleteLineItem", "DELETE", "/lineItems/{id}", "GB", "delete", "lineItem", "lineItem", [S.gradebookDelete], {
    params: id("getAllLineItems"),
  }),
  op("getAllResults", "GET", "/results", "GB", "collection", "result", "results", [S.gradebookRead]),
  op("getResult", "GET", "/results/{id}", "GB", "single", "result", "result", [S.gradebookRead], {
    params: id("getAllResults"),
  }),
  op("putResult", "PUT", "/results/{id}", "GB", "put", "result", "result", [S.gradebookWrite], {
    params: id("getAllResults"),
  }),
  op("deleteResult", "DELETE", "/results/{id}", "GB", "delete", "result", "result", [S.gradebookDelete], {
    params: id("getAllResults"),
  }),
  op(
    "getResultsForClass",
    "GET",
    "/classes/{classId}/results",
    "GB",
    "collection",
    "result",
    "results",
    [S.gradebookRead],
    { params: [p("classId", "getAllClasses")] },
  ),
  op(
    "getLineItemsForClass",
    "GET",
    "/classes/{classId}/lineItems",
    "GB",
    "collection",
    "lineItem",
    "lineItems",
    [S.gradebookRead],
    { params: [p("classId", "getAllClasses")] },
  ),
  op(
    "getResultsForLineItemForClass",
    "GET",
    "/classes/{classId}/lineItems/{lineItemId}/results",
    "GB",
    "collection",
    "result",
    "results",
    [S.gradebookRead],
    { params: [p("classId", "getAllClasses"), p("lineItemId", "getLineItemsForClass")] },
  ),
  op(
    "getResultsForStudentForClass",
    "GET",
    "/classes/{classId}/students/{studentId}/results",
    "GB",
    "collection",
    "result",
    "results",
    [S.gradebookRead],
    { params: [p("classId", "getAllClasses"), p("studentId", "getStudentsForClass")] },
  ),
  // De-facto extension (notes §1.3 notes): Google's 1.1 suite and Blackbaud SKY call it.
  op(
    "getCategoriesForClass",
    "GET",
    "/classes/{classId}/categories",
    "EXT",
    "collection",
    "category",
    "categories",
    [S.gradebookRead],
    { params: [p("classId", "getAllClasses")], extension: true },
  ),
];

/** Looks an operation up by its operationId; throws on a typo, since ids are code, not input. */
export function endpointById(operationId: string): Endpoint {
  const found = ENDPOINTS.find((e) => e.operationId === operationId);
  if (!found) {
    throw new Error(`unknown operationId ${operationId}`);
  }
  return found;
}

/** Fills a path template: `/schools/{schoolId}/classes` + {schoolId:'s1'} → `/schools/s1/classes` (values URL-encoded). */
export function fillPath(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) {
      throw new Error(`missing path parameter ${name} for ${template}`);
    }
    return encodeURIComponent(v);
  });
}
