// Gradebook write checks (notes §7), only with --allow-writes: PUT create and replace, read back through every
// gradebook read path, exempt results, DELETE then 404 and absent, invalid bodies. Every id carries the run prefix
// and every write registers its DELETE as a cleanup, so the provider is left as found even when a check fails.
import { endpointById, fillPath, parseInstant } from "../../oneroster/index.js";
import type { Check, CheckOutcome } from "../check.js";
import type { CheckContext, HttpResult } from "../context.js";
import { listIds, looseRecords, readAll } from "../discovery.js";
import { eachOf, ensure, expectErrorPayload, expectSingle, expectStatus, fail } from "../expect.js";

type Rec = Record<string, unknown>;

/** A class with a student enrolled, found over HTTP; gradebook objects are written against it. */
export interface WriteTarget {
  classId: string;
  studentId: string;
  gradingPeriodId?: string;
}

/**
 * A grading period the class is graded in: one of its first term's grading periods, else the term itself, else any
 * grading period (a provider may check that a line item's gradingPeriod is among its class's sessions).
 */
async function gradingPeriodOf(ctx: CheckContext, classId: string): Promise<string | undefined> {
  const cls = await ctx.cachedGet(fillPath(endpointById("getClass").path, { id: classId }));
  const terms = (cls.json as { class?: { terms?: { sourcedId?: unknown }[] } } | undefined)?.class?.terms ?? [];
  const term = terms.map((t) => t.sourcedId).find((id): id is string => typeof id === "string");
  if (term) {
    const periods = endpointById("getGradingPeriodsForTerm");
    const res = await ctx.cachedGet(fillPath(periods.path, { termId: term }));
    const gp = looseRecords(res, periods.envelope).find((r) => typeof r.sourcedId === "string");
    return gp ? String(gp.sourcedId) : term;
  }
  return (await listIds(ctx, endpointById("getAllGradingPeriods"), {}))[0];
}

/** Finds a class holding a student: /classes then /classes/{id}/students, falling back to enrollments. */
export function findWriteTarget(ctx: CheckContext): Promise<WriteTarget | undefined> {
  return ctx.once("write-target", async () => {
    const withGp = async (t: Omit<WriteTarget, "gradingPeriodId">): Promise<WriteTarget> => {
      const gp = await gradingPeriodOf(ctx, t.classId);
      return gp ? { ...t, gradingPeriodId: gp } : t;
    };
    const studentsFor = endpointById("getStudentsForClass");
    for (const classId of (await listIds(ctx, endpointById("getAllClasses"), {})).slice(0, 20)) {
      const res = await ctx.cachedGet(fillPath(studentsFor.path, { classId }));
      const student = looseRecords(res, studentsFor.envelope).find(
        (r) => typeof r.sourcedId === "string" && r.status !== "tobedeleted",
      );
      if (student) {
        return withGp({ classId, studentId: String(student.sourcedId) });
      }
    }
    const enr = await ctx.get("/enrollments", { query: { filter: "role='student' AND status='active'", limit: 1 } });
    const e = looseRecords(enr, "enrollments")[0] as
      | { class?: { sourcedId?: string }; user?: { sourcedId?: string } }
      | undefined;
    if (e?.class?.sourcedId && e.user?.sourcedId) {
      return withGp({ classId: e.class.sourcedId, studentId: e.user.sourcedId });
    }
    return undefined;
  });
}

const ref = (ctx: CheckContext, type: string, path: string, sourcedId: string) => ({
  href: `${ctx.baseUrl}/${path}/${encodeURIComponent(sourcedId)}`,
  sourcedId,
  type,
});

/** Bodies the suite sends; kept so read-backs can be compared with what was written. */
export function categoryBody(ctx: CheckContext, id: string, title = `rosterlab conformance ${ctx.runId}`): Rec {
  return { sourcedId: id, status: "active", title };
}

export function lineItemBody(
  ctx: CheckContext,
  t: WriteTarget,
  id: string,
  categoryId: string,
  title = `Conformance quiz ${ctx.runId}`,
): Rec {
  return {
    sourcedId: id,
    status: "active",
    title,
    description: "written by the rosterlab conformance suite",
    assignDate: "2026-01-05T08:00:00.000Z",
    dueDate: "2026-01-12T17:00:00.000Z",
    class: ref(ctx, "class", "classes", t.classId),
    category: ref(ctx, "category", "categories", categoryId),
    ...(t.gradingPeriodId ? { gradingPeriod: ref(ctx, "academicSession", "academicSessions", t.gradingPeriodId) } : {}),
    resultValueMin: 0,
    resultValueMax: 100,
  };
}

export function resultBody(ctx: CheckContext, t: WriteTarget, id: string, lineItemId: string, over: Rec = {}): Rec {
  return {
    sourcedId: id,
    status: "active",
    lineItem: ref(ctx, "lineItem", "lineItems", lineItemId),
    student: ref(ctx, "user", "users", t.studentId),
    scoreStatus: "fully graded",
    score: 87.5,
    scoreDate: "2026-01-13",
    comment: "conformance check",
    ...over,
  };
}

/** PUTs one gradebook object in its singular envelope and registers its DELETE as a cleanup. */
export async function putObject(ctx: CheckContext, path: string, envelope: string, body: Rec): Promise<HttpResult> {
  const id = String(body.sourcedId);
  ctx.addCleanup(`DELETE ${path}/${id}`, async () => {
    const res = await ctx.request("DELETE", `${path}/${encodeURIComponent(id)}`);
    if (![200, 202, 204, 404].includes(res.status)) {
      throw new Error(`answered ${res.status}`);
    }
  });
  const res = await ctx.putJson(`${path}/${encodeURIComponent(id)}`, JSON.stringify({ [envelope]: body }));
  ctx.clearCache();
  return res;
}

/** True for a 2xx answer: a PUT that stored its object. */
const succeeded = (res: HttpResult) => res.status >= 200 && res.status < 300;

/** Differences between what was written and what was read, field by field (refs by sourcedId, dates as instants). */
export function differences(sent: Rec, got: Rec): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(sent)) {
    const g = got[k];
    if (v && typeof v === "object" && "sourcedId" in v) {
      if (!g || typeof g !== "object" || (g as Rec).sourcedId !== (v as Rec).sourcedId) {
        out.push(
          `${k}.sourcedId: sent ${JSON.stringify((v as Rec).sourcedId)}, read ${JSON.stringify((g as Rec | undefined)?.sourcedId)}`,
        );
      }
    } else if (typeof v === "string" && typeof g === "string" && v.length > 10 && parseInstant(v) && parseInstant(g)) {
      if (parseInstant(v)?.getTime() !== parseInstant(g)?.getTime()) {
        out.push(`${k}: sent ${v}, read ${g}`);
      }
    } else if (v !== g && !(v === "" && g === undefined)) {
      // An empty optional string read back as absent is the same value (providers omit empty fields, notes §2.1).
      out.push(`${k}: sent ${JSON.stringify(v)}, read ${JSON.stringify(g)}`);
    }
  }
  return out;
}

/** The objects every write check builds on: a category, a line item and a result, created once per run. */
export interface WriteFixture {
  target: WriteTarget;
  ids: { category: string; lineItem: string; result: string };
  bodies: { category: Rec; lineItem: Rec; result: Rec };
  created: { category: HttpResult; lineItem: HttpResult; result: HttpResult };
}

/** Creates the fixture (memoised); throws CheckFailure when a PUT is refused, or returns undefined without a target. */
export function writeFixture(ctx: CheckContext): Promise<WriteFixture | undefined> {
  return ctx.once("write-fixture", async () => {
    const target = await findWriteTarget(ctx);
    if (!target) {
      return undefined;
    }
    const ids = { category: `${ctx.runId}-cat`, lineItem: `${ctx.runId}-li`, result: `${ctx.runId}-res` };
    const bodies = {
      category: categoryBody(ctx, ids.category),
      lineItem: lineItemBody(ctx, target, ids.lineItem, ids.category),
      result: resultBody(ctx, target, ids.result, ids.lineItem),
    };
    const category = await putObject(ctx, "/categories", "category", bodies.category);
    const lineItem = await putObject(ctx, "/lineItems", "lineItem", bodies.lineItem);
    const result = await putObject(ctx, "/results", "result", bodies.result);
    for (const [what, res] of [
      ["category", category],
      ["lineItem", lineItem],
      ["result", result],
    ] as const) {
      ensure(succeeded(res), `PUT of a new ${what} answered ${res.status}; the write checks need it to succeed`, res);
    }
    return { target, ids, bodies, created: { category, lineItem, result } };
  });
}

/** Runs a write check against a fixture, or skips when there is none (no class with an enrolled student). */
async function using<T>(pending: Promise<T | undefined>, fn: (fixture: T) => Promise<void>): Promise<CheckOutcome> {
  const fixture = await pending;
  if (!fixture) {
    return { skip: "no class with an enrolled student to write results against" };
  }
  await fn(fixture);
  return undefined;
}

/** Runs a write check against the write fixture. */
export function withFixture(ctx: CheckContext, fn: (f: WriteFixture) => Promise<void>): Promise<CheckOutcome> {
  return using(writeFixture(ctx), fn);
}

/** Reads one object by id and compares it with what was sent. */
async function readBack(ctx: CheckContext, path: string, envelope: string, sent: Rec): Promise<Rec> {
  const full = `${path}/${encodeURIComponent(String(sent.sourcedId))}`;
  const res = await ctx.get(full);
  const got = expectSingle(res, envelope, `GET ${full}`);
  const diff = differences(sent, got);
  if (diff.length > 0) {
    fail(`GET ${full} differs from what was written: ${diff.join("; ")}`, res, { [envelope]: got });
  }
  return got;
}

/** Asserts a collection path lists the object with the written values. */
async function listedEqual(
  ctx: CheckContext,
  path: string,
  envelope: string,
  sent: Rec,
  query: Record<string, string> = {},
): Promise<void> {
  const all = await readAll(ctx, path, envelope, query);
  const found = all.records.find((r) => r.sourcedId === sent.sourcedId);
  if (!found) {
    fail(
      `${path}${query.filter ? `?filter=${query.filter}` : ""} does not list ${String(sent.sourcedId)}`,
      all.pages[0],
    );
  }
  const diff = differences(sent, found);
  if (diff.length > 0) {
    fail(`${path} lists ${String(sent.sourcedId)} with different values: ${diff.join("; ")}`, all.pages[0], {
      record: found,
    });
  }
}

/** The objects the DELETE checks remove: their own line item and result, deleted once per run. */
interface DeleteFixture {
  f: WriteFixture;
  lineItem: Rec;
  result: Rec;
  /** dateLastModified each object had before it was deleted. */
  before: { lineItem: string; result: string };
  deleted: { result: HttpResult; lineItem: HttpResult };
}

function deleteFixture(ctx: CheckContext): Promise<DeleteFixture | undefined> {
  return ctx.once("delete-fixture", async () => {
    const f = await writeFixture(ctx);
    if (!f) {
      return undefined;
    }
    const lineItem = lineItemBody(ctx, f.target, `${ctx.runId}-li-del`, f.ids.category, "Conformance item to delete");
    const result = resultBody(ctx, f.target, `${ctx.runId}-res-del`, String(lineItem.sourcedId));
    for (const [path, env, body] of [
      ["/lineItems", "lineItem", lineItem],
      ["/results", "result", result],
    ] as const) {
      const res = await putObject(ctx, path, env, body);
      ensure(
        succeeded(res),
        `PUT ${path}/${String(body.sourcedId)} answered ${res.status}; the DELETE checks need it`,
        res,
      );
    }
    const dlm = async (path: string, env: string) =>
      String(expectSingle(await ctx.get(path), env, `GET ${path}`).dateLastModified);
    const before = {
      lineItem: await dlm(`/lineItems/${String(lineItem.sourcedId)}`, "lineItem"),
      result: await dlm(`/results/${String(result.sourcedId)}`, "result"),
    };
    const delResult = await ctx.request("DELETE", `/results/${encodeURIComponent(String(result.sourcedId))}`);
    const delLineItem = await ctx.request("DELETE", `/lineItems/${encodeURIComponent(String(lineItem.sourcedId))}`);
    ctx.clearCache();
    return { f, lineItem, result, before, deleted: { result: delResult, lineItem: delLineItem } };
  });
}

/** Runs a write check against the delete fixture. */
export function withDeleted(ctx: CheckContext, fn: (d: DeleteFixture) => Promise<void>): Promise<CheckOutcome> {
  return using(deleteFixture(ctx), fn);
}

/**
 * PUTs a body the provider must refuse with `statuses` and an invaliddata status payload (`what` says what is wrong
 * with it), then checks that nothing was stored.
 */
async function expectRefusedPut(
  ctx: CheckContext,
  path: string,
  body: string,
  statuses: number | readonly number[],
  what: string,
): Promise<undefined> {
  ctx.deleteLater(path);
  const res = await ctx.putJson(path, body);
  expectStatus(res, statuses, `PUT ${path} ${what}`);
  expectErrorPayload(ctx, res, "invaliddata", `${res.status} body`);
  const after = await ctx.get(path);
  expectStatus(after, 404, `GET ${path} after the refused PUT`);
  return undefined;
}

/** True when a record read after DELETE is acceptable under --lenient: still there but marked tobedeleted. */
const tombstone = (r: Rec | undefined) => r?.status === "tobedeleted";

export const gradebookWriteChecks: Check[] = [
  {
    id: "GBW-001",
    title: "MUST answer 201 to a PUT that creates a category, line item or result",
    section: "§7.1",
    area: "gradebook-writes",
    profiles: ["gradebook"],
    writes: true,
    run: (ctx) =>
      withFixture(ctx, async (f) => {
        await eachOf(Object.entries(f.created), async ([what, res]) => {
          // Digest §7.1: 200 on create is seen in the wild; --lenient accepts it.
          expectStatus(res, ctx.lenient ? [200, 201] : 201, `PUT of a new ${what}`);
        });
      }),
  },
  {
    id: "GBW-002",
    title: "MUST return created objects unchanged from getCategory, getLineItem and getResult",
    section: "§7.1, §1.5",
    area: "gradebook-writes",
    profiles: ["gradebook"],
    writes: true,
    run: (ctx) =>
      withFixture(ctx, async (f) => {
        await eachOf(
          [
            ["/categories", "category", f.bodies.category],
            ["/lineItems", "lineItem", f.bodies.lineItem],
            ["/results", "result", f.bodies.result],
          ] as const,
          async ([path, env, body]) => {
            await readBack(ctx, path, env, body);
          },
        );
      }),
  },
  {
    id: "GBW-003",
    title:
      "MUST list created objects through every gradebook collection path (all, for class, for line item, for student)",
    section: "§1.5, §9 item 8",
    area: "gradebook-writes",
    profiles: ["gradebook"],
    writes: true,
    run: (ctx) =>
      withFixture(ctx, async (f) => {
        const c = encodeURIComponent(f.target.classId);
        const student = encodeURIComponent(f.target.studentId);
        const byId = (id: string) => ({ filter: `sourcedId='${id}'` });
        await eachOf(
          [
            ["/categories", "categories", f.bodies.category, byId(f.ids.category)],
            ["/lineItems", "lineItems", f.bodies.lineItem, byId(f.ids.lineItem)],
            [`/classes/${c}/lineItems`, "lineItems", f.bodies.lineItem, {}],
            ["/results", "results", f.bodies.result, byId(f.ids.result)],
            [`/classes/${c}/results`, "results", f.bodies.result, {}],
            [`/classes/${c}/lineItems/${f.ids.lineItem}/results`, "results", f.bodies.result, {}],
            [`/classes/${c}/students/${student}/results`, "results", f.bodies.result, {}],
          ] as const,
          async ([path, env, body, query]) => listedEqual(ctx, path, env, body, query),
        );
      }),
  },
  {
    id: "GBW-004",
    title: "MUST answer 200 to a PUT that replaces an existing object",
    section: "§7.1",
    area: "gradebook-writes",
    profiles: ["gradebook"],
    writes: true,
    run: (ctx) =>
      withFixture(ctx, async (f) => {
        const replaced = await replaced_(ctx, f);
        await eachOf(Object.entries(replaced.res), async ([what, res]) => {
          expectStatus(res, ctx.lenient ? [200, 201, 204] : 200, `PUT replacing the ${what}`);
        });
      }),
  },
  {
    id: "GBW-005",
    title: "MUST show the replaced values after a PUT replace (full replacement, not a merge)",
    section: "§7.1",
    area: "gradebook-writes",
    profiles: ["gradebook"],
    writes: true,
    run: (ctx) =>
      withFixture(ctx, async (f) => {
        const replaced = await replaced_(ctx, f);
        await readBack(ctx, "/lineItems", "lineItem", replaced.bodies.lineItem);
        const got = await readBack(ctx, "/results", "result", replaced.bodies.result);
        ensure(
          got.comment === undefined || got.comment === "",
          `the replaced result still has the old comment ${JSON.stringify(got.comment)}`,
          undefined,
          { result: got },
        );
      }),
  },
  {
    id: "GBW-006",
    title: "MUST store and return a result with scoreStatus exempt",
    section: "§2.11, §7.1",
    area: "gradebook-writes",
    profiles: ["gradebook"],
    writes: true,
    run: (ctx) =>
      withFixture(ctx, async (f) => {
        const body = resultBody(ctx, f.target, `${ctx.runId}-res-exempt`, f.ids.lineItem, {
          scoreStatus: "exempt",
          score: 0,
          comment: "",
        });
        const res = await putObject(ctx, "/results", "result", body);
        ensure(succeeded(res), `PUT of an exempt result answered ${res.status}`, res);
        await readBack(ctx, "/results", "result", body);
        await listedEqual(
          ctx,
          `/classes/${encodeURIComponent(f.target.classId)}/lineItems/${encodeURIComponent(f.ids.lineItem)}/results`,
          "results",
          body,
        );
      }),
  },
  {
    id: "GBW-007",
    title: "MUST answer 400 with a status payload to a PUT whose body is not JSON, and store nothing",
    section: "§7.1, §5.1",
    area: "gradebook-writes",
    profiles: ["gradebook"],
    writes: true,
    run: (ctx) =>
      expectRefusedPut(
        ctx,
        `/results/${ctx.runId}-bad-json`,
        '{"result": {"sourcedId": ',
        400,
        "with a truncated JSON body",
      ),
  },
  {
    id: "GBW-008",
    title:
      "SHOULD answer 400 or 422 with a status payload to a well-formed PUT body that breaks the data model, and store nothing",
    section: "§7.1, §5.1",
    area: "gradebook-writes",
    profiles: ["gradebook"],
    writes: true,
    run: (ctx) =>
      expectRefusedPut(
        ctx,
        `/results/${ctx.runId}-bad-model`,
        JSON.stringify({
          result: { sourcedId: `${ctx.runId}-bad-model`, scoreStatus: "nearly graded", score: "lots" },
        }),
        [400, 422],
        "with an unknown scoreStatus, a string score and no lineItem",
      ),
  },
  {
    id: "GBW-009",
    title: "MUST answer 204 to a DELETE of an existing line item or result",
    section: "§7.2",
    area: "gradebook-writes",
    profiles: ["gradebook"],
    writes: true,
    run: (ctx) =>
      withDeleted(ctx, async (d) => {
        await eachOf(Object.entries(d.deleted), async ([what, res]) => {
          // Digest §7.2: 200 is also seen; --lenient accepts it.
          expectStatus(res, ctx.lenient ? [200, 204] : 204, `DELETE of the ${what}`);
        });
      }),
  },
  {
    id: "GBW-010",
    title: "MUST answer 404 to a GET by id of a deleted line item or result",
    section: "§7.2",
    area: "gradebook-writes",
    profiles: ["gradebook"],
    writes: true,
    run: (ctx) =>
      withDeleted(ctx, async (d) => {
        await eachOf(
          [
            [`/lineItems/${String(d.lineItem.sourcedId)}`, "lineItem"],
            [`/results/${String(d.result.sourcedId)}`, "result"],
          ] as const,
          async ([path, env]) => {
            const res = await ctx.get(path);
            // --lenient: a soft-visible delete (200 with status tobedeleted) is accepted (notes §7.2).
            if (
              ctx.lenient &&
              res.status === 200 &&
              tombstone((res.json as Rec | undefined)?.[env] as Rec | undefined)
            ) {
              return;
            }
            expectStatus(res, 404, `GET ${path} after DELETE`);
          },
        );
      }),
  },
  {
    id: "GBW-011",
    title: "MUST leave a deleted line item or result out of the class's gradebook collections",
    section: "§7.2",
    area: "gradebook-writes",
    profiles: ["gradebook"],
    writes: true,
    run: (ctx) =>
      withDeleted(ctx, async (d) => {
        const c = encodeURIComponent(d.f.target.classId);
        const student = encodeURIComponent(d.f.target.studentId);
        await eachOf(
          [
            [`/classes/${c}/lineItems`, "lineItems", d.lineItem],
            [`/classes/${c}/results`, "results", d.result],
            [`/classes/${c}/students/${student}/results`, "results", d.result],
          ] as const,
          async ([path, env, body]) => {
            const all = await readAll(ctx, path, env);
            const found = all.records.find((r) => r.sourcedId === body.sourcedId);
            if (found && !(ctx.lenient && tombstone(found))) {
              fail(`${path} still lists ${String(body.sourcedId)} after DELETE`, all.pages[0], { record: found });
            }
          },
        );
      }),
  },
  {
    id: "GBW-012",
    title: "SHOULD answer 404 to a DELETE of an unknown id",
    section: "§7.2",
    area: "gradebook-writes",
    profiles: ["gradebook"],
    writes: true,
    async run(ctx) {
      const res = await ctx.request("DELETE", `/results/${ctx.runId}-never-written`);
      expectStatus(res, 404, "DELETE of an unknown result");
      return undefined;
    },
  },
  {
    id: "GBW-013",
    title: "SHOULD refuse with 400 or 422 a PUT whose body sourcedId differs from the id in the path",
    section: "§7.1",
    area: "gradebook-writes",
    profiles: ["gradebook"],
    writes: true,
    async run(ctx) {
      const path = `/categories/${ctx.runId}-path-id`;
      ctx.deleteLater(path);
      ctx.deleteLater(`/categories/${ctx.runId}-body-id`);
      const res = await ctx.putJson(path, JSON.stringify({ category: categoryBody(ctx, `${ctx.runId}-body-id`) }));
      expectStatus(res, [400, 422], `PUT ${path} with body sourcedId ${ctx.runId}-body-id`);
      return undefined;
    },
  },
];

/** Replaces the fixture's line item and result once per run; the result loses its comment (full replacement). */
function replaced_(
  ctx: CheckContext,
  f: WriteFixture,
): Promise<{ res: { lineItem: HttpResult; result: HttpResult }; bodies: { lineItem: Rec; result: Rec } }> {
  return ctx.once("replace-fixture", async () => {
    const lineItem = { ...f.bodies.lineItem, title: `Conformance quiz ${ctx.runId} (renamed)`, resultValueMax: 50 };
    const { comment: _dropped, ...rest } = f.bodies.result;
    const result = { ...rest, score: 42, scoreStatus: "partially graded" };
    const li = await putObject(ctx, "/lineItems", "lineItem", lineItem);
    const re = await putObject(ctx, "/results", "result", result);
    return { res: { lineItem: li, result: re }, bodies: { lineItem, result } };
  });
}
