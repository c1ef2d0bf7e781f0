// The five descriptions of every OneRoster entity must agree: the zod schema and field descriptor in oneroster/, the
// drizzle table, the server's column map (server/repo/tables.ts) and the data-change trigger list of the migrations.
// Each disagreement is reported as `<entity>.<field>: …`; altered copies prove that every source is really compared.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Column, getTableColumns, getTableName, is } from "drizzle-orm";
import { boolean, jsonb, type PgTable, pgSchema, text, timestamp } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ENTITIES,
  ENTITY_SCHEMAS,
  type EntityDescriptor,
  type EntityName,
  type FieldKind,
  OrgTypeSchema,
} from "../../oneroster/index.js";
import { dataTables } from "../../server/db/schema.js";
import { ENTITY_TABLES, type EntityTable } from "../../server/repo/tables.js";

const MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "server", "db", "migrations");

/** Everything compared, as the code holds it; tests swap one part for an altered copy. */
interface Sources {
  schemas: Record<EntityName, z.ZodObject>;
  descriptors: Record<EntityName, EntityDescriptor>;
  tables: Record<EntityName, EntityTable>;
  /** The tables the seed loader and test resets walk (server/db/schema.ts `dataTables`). */
  dataTables: readonly PgTable[];
  /** SQL of every migration drizzle applies, in journal order. */
  migrations: readonly string[];
}

function readMigrations(): string[] {
  const journal = JSON.parse(readFileSync(join(MIGRATIONS, "meta", "_journal.json"), "utf8")) as {
    entries: { idx: number; tag: string }[];
  };
  return [...journal.entries]
    .sort((a, b) => a.idx - b.idx)
    .map((e) => readFileSync(join(MIGRATIONS, `${e.tag}.sql`), "utf8"));
}

function realSources(): Sources {
  return {
    schemas: ENTITY_SCHEMAS,
    descriptors: ENTITIES,
    tables: ENTITY_TABLES,
    dataTables: Object.values(dataTables),
    migrations: readMigrations(),
  };
}

const TRIGGER = "notify_data_change";

/**
 * Tables carrying the data-change trigger after all migrations: `CREATE TRIGGER notify_data_change … ON
 * "provider".<table>`, written out or in a `FOREACH … IN ARRAY ARRAY['a','b']` loop, less any `DROP TRIGGER`.
 */
function triggerTables(migrations: readonly string[]): string[] {
  const tables = new Set<string>();
  for (const statement of migrations.flatMap((sql) => sql.split("--> statement-breakpoint"))) {
    const dropped = new RegExp(
      `DROP\\s+TRIGGER\\s+(?:IF\\s+EXISTS\\s+)?"?${TRIGGER}"?\\s+ON\\s+"provider"\\."(\\w+)"`,
      "gi",
    );
    for (const m of statement.matchAll(dropped)) {
      tables.delete(m[1] as string);
    }
    if (!new RegExp(`CREATE\\s+TRIGGER\\s+"?${TRIGGER}"?\\b`, "i").test(statement)) {
      continue;
    }
    const loop = /FOREACH\s+\w+\s+IN\s+ARRAY\s+ARRAY\s*\[([^\]]*)\]/i.exec(statement);
    const named = loop
      ? [...(loop[1] as string).matchAll(/'(\w+)'/g)].map((m) => m[1] as string)
      : [...statement.matchAll(/\bON\s+"provider"\."(\w+)"/gi)].map((m) => m[1] as string);
    for (const name of named) {
      tables.add(name);
    }
  }
  return [...tables].sort();
}

/** SQL types a column may have for each field kind. */
const SQL_TYPES: Record<FieldKind["kind"], RegExp> = {
  id: /^text\b(?!.*\[\])/,
  string: /^text$/,
  enum: /^text$/,
  date: /^date$/,
  datetime: /^timestamp\b/,
  number: /^(double precision|real|integer|bigint|smallint|numeric)\b/,
  boolean: /^boolean$/,
  strings: /^text\[\]$/,
  ref: /^text$/,
  refs: /^text\[\]$/,
  json: /^jsonb?$/,
};

/** The column property a wire field is stored in: references keep sourcedIds in `<field>Id` / `<singular>Ids`. */
function expectedColumnKey(field: string, kind: FieldKind): string {
  if (kind.kind === "ref") {
    return `${field}Id`;
  }
  if (kind.kind === "refs") {
    return `${field.replace(/s$/, "")}Ids`;
  }
  return field;
}

/** The zod type under optional/nullable/default wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let inner = schema;
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodNullable || inner instanceof z.ZodDefault) {
    inner = inner.unwrap() as z.ZodType;
  }
  return inner;
}

const isText = (s: z.ZodType) => s instanceof z.ZodString || s instanceof z.ZodEnum;

/** Why the zod type of a field does not hold what the descriptor's kind says, or undefined when it does. */
function kindMismatch(kind: FieldKind, fieldSchema: z.ZodType): string | undefined {
  const s = unwrap(fieldSchema);
  const element = s instanceof z.ZodArray ? unwrap(s.element as z.ZodType) : undefined;
  switch (kind.kind) {
    case "id":
    case "string":
    case "date":
    case "datetime":
      return s instanceof z.ZodString ? undefined : "a string";
    case "enum": {
      // An enum may also take the spec's extension form (`ext:…`, notes §2.1): a union of the enum and that token.
      const e =
        s instanceof z.ZodUnion ? (s.options as z.ZodType[]).map(unwrap).find((o) => o instanceof z.ZodEnum) : s;
      if (!(e instanceof z.ZodEnum)) {
        return "an enum";
      }
      const options = (e.options as string[]).slice().sort().join(",");
      return options === [...kind.values].sort().join(",") ? undefined : `the enum [${kind.values.join(", ")}]`;
    }
    case "number":
      return s instanceof z.ZodNumber ? undefined : "a number";
    case "boolean":
      return s instanceof z.ZodBoolean ? undefined : "a boolean";
    case "strings":
      return element && isText(element) ? undefined : "an array of strings";
    case "ref":
      return s instanceof z.ZodObject ? undefined : "a GUIDRef object";
    case "refs":
      return element instanceof z.ZodObject ? undefined : "an array of GUIDRef objects";
    case "json":
      return undefined; // free-form (metadata, userIds)
  }
}

/**
 * Wire fields the schema requires whose column may be NULL: a lenient gradebook PUT may leave them out
 * (notes §7.1: Google's grade-push test sends line items without category and gradingPeriod).
 */
const NULLABLE_REQUIRED = new Set(["lineItem.category", "lineItem.gradingPeriod"]);

/** Every disagreement between the sources, as `<entity>.<field>: …` lines; empty when they agree. */
function agreementProblems(sources: Sources): string[] {
  const problems: string[] = [];
  const triggered = new Set(triggerTables(sources.migrations));
  const entityTables = new Set<string>();
  for (const entity of Object.keys(sources.descriptors) as EntityName[]) {
    const say = (field: string, text: string) => problems.push(`${entity}.${field}: ${text}`);
    const schema = sources.schemas[entity];
    const descriptor = sources.descriptors[entity];
    const { table, columns: columnMap } = sources.tables[entity];
    const tableName = getTableName(table);
    entityTables.add(tableName);
    const tableColumns = getTableColumns(table);
    const schemaKeys = Object.keys(schema.shape);
    const fieldKeys = Object.keys(descriptor.fields);
    const mapKeys = Object.keys(columnMap);

    for (const f of schemaKeys.filter((k) => !fieldKeys.includes(k))) {
      say(f, "in the zod schema but not in the field descriptor");
    }
    for (const f of fieldKeys.filter((k) => !schemaKeys.includes(k))) {
      say(f, "in the field descriptor but not in the zod schema");
    }
    for (const f of fieldKeys.filter((k) => !mapKeys.includes(k))) {
      say(f, "in the field descriptor but not in the server's column map");
    }
    for (const f of mapKeys.filter((k) => !fieldKeys.includes(k))) {
      say(f, "in the server's column map but not in the field descriptor");
    }

    const mappedColumns = new Set<string>();
    for (const [field, kind] of Object.entries(descriptor.fields)) {
      const fieldSchema = schema.shape[field] as z.ZodType | undefined;
      const mismatch = fieldSchema && kindMismatch(kind, fieldSchema);
      if (mismatch) {
        say(field, `the descriptor says ${kind.kind} but the zod schema does not hold ${mismatch}`);
      }
      const mapped = columnMap[field];
      if (mapped === undefined || !is(mapped, Column)) {
        continue; // missing (reported above) or derived in SQL, such as `children` from parent ids
      }
      const key = Object.entries(tableColumns).find(([, c]) => c === mapped)?.[0];
      if (key === undefined) {
        say(
          field,
          `the column map points at ${getTableName(mapped.table)}.${mapped.name}, not a column of ${tableName}`,
        );
        continue;
      }
      mappedColumns.add(key);
      const expected = expectedColumnKey(field, kind);
      if (key !== expected) {
        say(field, `stored in ${tableName}.${key}; a ${kind.kind} field belongs in ${expected}`);
      }
      const sqlType = mapped.getSQLType();
      if (!SQL_TYPES[kind.kind].test(sqlType)) {
        say(field, `the descriptor says ${kind.kind} but column ${tableName}.${key} is ${sqlType}`);
      }
      const required = fieldSchema !== undefined && !fieldSchema.safeParse(undefined).success;
      if (required && !mapped.notNull && !NULLABLE_REQUIRED.has(`${entity}.${field}`)) {
        say(field, `the zod schema requires it but column ${tableName}.${key} may be NULL`);
      }
    }
    for (const key of Object.keys(tableColumns).filter((k) => !mappedColumns.has(k))) {
      if (key === "deleted" && descriptor.gradebook) {
        continue; // the gradebook DELETE tombstone flag (notes §7.2), never on the wire
      }
      say(`(column ${key})`, `column ${tableName}.${key} has no wire field in the column map`);
    }
    const handle = sources.tables[entity];
    for (const [member, key] of [
      ["id", "sourcedId"],
      ["status", "status"],
      ["dateLastModified", "dateLastModified"],
    ] as const) {
      if (handle[member] !== tableColumns[key]) {
        say(key, `EntityTable.${member} is not ${tableName}.${key}`);
      }
    }
    if (descriptor.gradebook !== (handle.deleted !== undefined && handle.deleted === tableColumns.deleted)) {
      say(
        "(deleted)",
        `gradebook is ${descriptor.gradebook} but EntityTable.deleted does not match ${tableName}.deleted`,
      );
    }
    if (!triggered.has(tableName)) {
      say(
        "(table)",
        `table ${tableName} has no ${TRIGGER} trigger in the migrations, so cached pages outlive its writes`,
      );
    }
  }
  for (const name of [...triggered].filter((t) => !entityTables.has(t))) {
    problems.push(`(trigger).${name}: the migrations put ${TRIGGER} on ${name}, which is no entity's table`);
  }
  const loaded = new Set(sources.dataTables.map((t) => getTableName(t)));
  for (const name of [...entityTables].filter((t) => !loaded.has(t))) {
    problems.push(`(dataTables).${name}: an entity table missing from server/db/schema.ts dataTables`);
  }
  for (const name of [...loaded].filter((t) => !entityTables.has(t))) {
    problems.push(`(dataTables).${name}: in dataTables but no entity's table`);
  }
  return problems;
}

/** The real sources with one entity's parts replaced. */
function altered(
  entity: EntityName,
  change: Partial<{ schema: z.ZodObject; descriptor: EntityDescriptor; table: EntityTable }>,
  rest: Partial<Pick<Sources, "dataTables" | "migrations">> = {},
): Sources {
  const real = realSources();
  return {
    schemas: { ...real.schemas, ...(change.schema ? { [entity]: change.schema } : {}) },
    descriptors: { ...real.descriptors, ...(change.descriptor ? { [entity]: change.descriptor } : {}) },
    tables: { ...real.tables, ...(change.table ? { [entity]: change.table } : {}) },
    dataTables: rest.dataTables ?? real.dataTables,
    migrations: rest.migrations ?? real.migrations,
  };
}

describe("the trigger list read from the migrations", () => {
  it("reads tables from a FOREACH loop, from single statements, and forgets dropped ones", () => {
    const loop = `DO $$ DECLARE t text; BEGIN FOREACH t IN ARRAY ARRAY['orgs','line_items'] LOOP
      EXECUTE format('CREATE TRIGGER ${TRIGGER} AFTER INSERT ON "provider".%I FOR EACH STATEMENT EXECUTE FUNCTION f()', t);
      END LOOP; END; $$;`;
    const single = `CREATE TRIGGER ${TRIGGER} AFTER INSERT ON "provider"."results" FOR EACH STATEMENT EXECUTE FUNCTION f();`;
    const other = `CREATE TRIGGER audit AFTER INSERT ON "provider"."users" FOR EACH ROW EXECUTE FUNCTION g();`;
    const drop = `DROP TRIGGER IF EXISTS ${TRIGGER} ON "provider"."orgs";`;
    expect(triggerTables([loop, `${single}\n--> statement-breakpoint\n${other}`])).toEqual([
      "line_items",
      "orgs",
      "results",
    ]);
    expect(triggerTables([loop, single, drop])).toEqual(["line_items", "results"]);
  });

  it("finds the eleven data tables in the real migrations", () => {
    expect(triggerTables(readMigrations())).toHaveLength(11);
  });
});

describe("every entity's schema, descriptor, table, column map and trigger agree", () => {
  it("covers all eleven entities", () => {
    const real = realSources();
    for (const part of [real.schemas, real.descriptors, real.tables]) {
      expect(Object.keys(part).sort()).toEqual(Object.keys(ENTITIES).sort());
    }
    expect(Object.keys(ENTITIES)).toHaveLength(11);
  });

  it("finds no disagreement in the code as it is", () => {
    expect(agreementProblems(realSources())).toEqual([]);
  });
});

/** A drizzle `provider.categories` without `title`, plus any extra columns. */
function driftedCategories(extra: Record<string, ReturnType<typeof text>>): PgTable {
  return pgSchema("provider").table("categories", {
    sourcedId: text().primaryKey(),
    status: text().notNull(),
    dateLastModified: timestamp({ precision: 3, withTimezone: true }).notNull(),
    metadata: jsonb(),
    deleted: boolean().notNull(),
    ...extra,
  });
}

describe("a drift in any one source is caught and named", () => {
  const problemsOf = (sources: Sources) => agreementProblems(sources).join("\n");

  it("a zod schema that lost a field", () => {
    const schema = ENTITY_SCHEMAS.user.omit({ middleName: true });
    expect(problemsOf(altered("user", { schema }))).toMatch(
      "user.middleName: in the field descriptor but not in the zod schema",
    );
  });

  it("a zod schema that gained a field", () => {
    const schema = ENTITY_SCHEMAS.course.extend({ credits: z.number().optional() });
    expect(problemsOf(altered("course", { schema }))).toMatch(
      "course.credits: in the zod schema but not in the field descriptor",
    );
  });

  it("a zod schema whose field changed kind", () => {
    const schema = ENTITY_SCHEMAS.enrollment.extend({ primary: z.string().optional() });
    expect(problemsOf(altered("enrollment", { schema }))).toMatch(
      "enrollment.primary: the descriptor says boolean but the zod schema does not hold a boolean",
    );
  });

  it("a zod enum that gained a value the descriptor lacks", () => {
    const schema = ENTITY_SCHEMAS.org.extend({ type: z.enum([...OrgTypeSchema.options, "campus"]) });
    expect(problemsOf(altered("org", { schema }))).toMatch(
      "org.type: the descriptor says enum but the zod schema does not hold the enum [department",
    );
  });

  it("a zod schema that requires a field its column lets be NULL", () => {
    const schema = ENTITY_SCHEMAS.user.extend({ middleName: z.string() });
    expect(problemsOf(altered("user", { schema }))).toMatch(
      "user.middleName: the zod schema requires it but column users.middleName may be NULL",
    );
  });

  it("a field descriptor that gained a field", () => {
    const descriptor = { ...ENTITIES.class, fields: { ...ENTITIES.class.fields, room: { kind: "string" } } } as const;
    const found = problemsOf(altered("class", { descriptor }));
    expect(found).toMatch("class.room: in the field descriptor but not in the zod schema");
    expect(found).toMatch("class.room: in the field descriptor but not in the server's column map");
  });

  it("a field descriptor whose kind no longer matches its column", () => {
    const descriptor = {
      ...ENTITIES.lineItem,
      fields: { ...ENTITIES.lineItem.fields, resultValueMax: { kind: "string" } },
    } as const;
    expect(problemsOf(altered("lineItem", { descriptor }))).toMatch(
      "lineItem.resultValueMax: the descriptor says string but column line_items.resultValueMax is double precision",
    );
  });

  it("a drizzle table that lost a column", () => {
    // categories as it would be had someone dropped `title`.
    const table: EntityTable = { ...ENTITY_TABLES.category, table: driftedCategories({}) };
    expect(problemsOf(altered("category", { table }))).toMatch(
      "category.title: the column map points at categories.title, not a column of categories",
    );
  });

  it("a drizzle table that gained a column no wire field uses", () => {
    const table: EntityTable = { ...ENTITY_TABLES.category, table: driftedCategories({ weight: text() }) };
    expect(problemsOf(altered("category", { table }))).toMatch(
      "category.(column weight): column categories.weight has no wire field in the column map",
    );
  });

  it("a column map that lost a field", () => {
    const { email: _dropped, ...columns } = ENTITY_TABLES.user.columns;
    const table: EntityTable = { ...ENTITY_TABLES.user, columns };
    expect(problemsOf(altered("user", { table }))).toMatch(
      "user.email: in the field descriptor but not in the server's column map",
    );
  });

  it("a column map that points a field at the wrong column", () => {
    const columns = { ...ENTITY_TABLES.class.columns, course: ENTITY_TABLES.class.columns.school };
    const table: EntityTable = { ...ENTITY_TABLES.class, columns } as EntityTable;
    expect(problemsOf(altered("class", { table }))).toMatch(
      "class.course: stored in classes.schoolId; a ref field belongs in courseId",
    );
  });

  it("a column map that points a field at another entity's table", () => {
    const columns = { ...ENTITY_TABLES.result.columns, comment: ENTITY_TABLES.lineItem.columns.description };
    const table: EntityTable = { ...ENTITY_TABLES.result, columns } as EntityTable;
    expect(problemsOf(altered("result", { table }))).toMatch(
      "result.comment: the column map points at line_items.description, not a column of results",
    );
  });

  it("a migration that left an entity table out of the trigger list", () => {
    const migrations = readMigrations().map((sql) => sql.replace("'line_items',", ""));
    expect(problemsOf(altered("lineItem", {}, { migrations }))).toMatch(
      "lineItem.(table): table line_items has no notify_data_change trigger",
    );
  });

  it("a migration that dropped the trigger of one table", () => {
    const migrations = [...readMigrations(), `DROP TRIGGER ${TRIGGER} ON "provider"."enrollments";`];
    expect(problemsOf(altered("enrollment", {}, { migrations }))).toMatch(
      "enrollment.(table): table enrollments has no notify_data_change trigger",
    );
  });

  it("a dataTables list that lost an entity table", () => {
    const loaded = Object.values(dataTables).filter((t) => getTableName(t) !== "resources");
    expect(problemsOf(altered("resource", {}, { dataTables: loaded }))).toMatch(
      "(dataTables).resources: an entity table missing from server/db/schema.ts dataTables",
    );
  });
});
