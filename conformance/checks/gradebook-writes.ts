// Gradebook write checks (notes §7), only with --allow-writes: PUT create and replace (read back after every update),
// exempt results, a body sourcedId that differs from the path, invalid values on an existing object, DELETE then 404
// and absent (its results too), invalid bodies. Every id carries the run prefix and every write registers its DELETE
// as a cleanup, so the provider is left as found even when a check fails. Checks that build on a write another check
// owns (creating the fixture is GBW-001's) are blocked by that check when it fails, instead of failing again.
import { findRecord } from "../../oneroster/client/index.js";
import { endpointById, fillPath, parseInstant } from "../../oneroster/index.js";
import { Blocked, type Check, type CheckOutcome } from "../check.js";
import type { CheckContext, HttpResult } from "../context.js";
import { listIds, looseRecords, readAll } from "../discovery.js";
import { eachOf, ensure, expectErrorPayload, expectStatus, fail, recordOf } from "../expect.js";

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

/** A record with its keys in order, for comparing two reads of one object. */
function sorted(record: Rec): Rec {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
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

/** Sends the fixture's create PUTs once per run and keeps the answers, whatever they are (GBW-001 judges them). */
function fixtureAttempt(ctx: CheckContext): Promise<WriteFixture | undefined> {
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
    return { target, ids, bodies, created: { category, lineItem, result } };
  });
}

/** A create PUT another check needed: blocked by GBW-001 (creating by PUT is its rule) when it did not succeed. */
function requireCreated(what: string, res: HttpResult): void {
  if (!succeeded(res)) {
    throw new Blocked("GBW-001", { message: `PUT of a new ${what} answered ${res.status}`, exchange: res.exchange });
  }
}

/** The fixture, created; blocked by GBW-001 when a create PUT failed, undefined without a write target. */
export async function writeFixture(ctx: CheckContext): Promise<WriteFixture | undefined> {
  const f = await fixtureAttempt(ctx);
  if (f) {
    for (const [what, res] of Object.entries(f.created)) {
      requireCreated(what, res);
    }
  }
  return f;
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

/** GET of a written object by id, its record, blocked by GBW-002 (reading back is its rule) when it cannot be read. */
async function readWritten(ctx: CheckContext, path: string, envelope: string, id: string) {
  const full = `${path}/${encodeURIComponent(id)}`;
  const res = await ctx.get(full);
  if (res.status !== 200) {
    throw new Blocked("GBW-002", {
      message: `GET ${full} of a written object answered ${res.status}`,
      exchange: res.exchange,
    });
  }
  return { res, record: recordOf(res, envelope, `GET ${full}`) };
}

/** Reads one object by id and compares it with what was sent. */
async function readBack(ctx: CheckContext, path: string, envelope: string, sent: Rec): Promise<Rec> {
  const full = `${path}/${encodeURIComponent(String(sent.sourcedId))}`;
  const res = await ctx.get(full);
  const got = recordOf(res, envelope, `GET ${full}`);
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

/** The objects the DELETE checks remove: their own line items and results, deleted once per run. */
interface DeleteFixture {
  f: WriteFixture;
  /** A line item deleted after its result was deleted on its own. */
  lineItem: Rec;
  result: Rec;
  /** A second line item deleted while its result (`orphan`) was left alone: the result must go with it. */
  lineItem2: Rec;
  orphan: Rec;
  /** dateLastModified each object had before it was deleted. */
  before: { lineItem: string; result: string };
  deleted: { result: HttpResult; lineItem: HttpResult; lineItem2: HttpResult };
}

function deleteAttempt(ctx: CheckContext): Promise<DeleteFixture | undefined> {
  return ctx.once("delete-fixture", async () => {
    const f = await writeFixture(ctx);
    if (!f) {
      return undefined;
    }
    const lineItem = lineItemBody(ctx, f.target, `${ctx.runId}-li-del`, f.ids.category, "Conformance item to delete");
    const result = resultBody(ctx, f.target, `${ctx.runId}-res-del`, String(lineItem.sourcedId));
    const lineItem2 = lineItemBody(ctx, f.target, `${ctx.runId}-li-del2`, f.ids.category, "Conformance item 2");
    const orphan = resultBody(ctx, f.target, `${ctx.runId}-res-orphan`, String(lineItem2.sourcedId));
    for (const [path, env, body] of [
      ["/lineItems", "lineItem", lineItem],
      ["/results", "result", result],
      ["/lineItems", "lineItem", lineItem2],
      ["/results", "result", orphan],
    ] as const) {
      requireCreated(env, await putObject(ctx, path, env, body));
    }
    const dlm = async (path: string, env: string, id: unknown) =>
      String((await readWritten(ctx, path, env, String(id))).record.dateLastModified);
    const before = {
      lineItem: await dlm("/lineItems", "lineItem", lineItem.sourcedId),
      result: await dlm("/results", "result", result.sourcedId),
    };
    const del = (path: string, body: Rec) =>
      ctx.request("DELETE", `${path}/${encodeURIComponent(String(body.sourcedId))}`);
    const deleted = {
      result: await del("/results", result),
      lineItem: await del("/lineItems", lineItem),
      lineItem2: await del("/lineItems", lineItem2),
    };
    ctx.clearCache();
    return { f, lineItem, result, lineItem2, orphan, before, deleted };
  });
}

/** The delete fixture; blocked by GBW-009 (DELETE answering 204 is its rule) when a DELETE did not succeed. */
async function deleteFixture(ctx: CheckContext): Promise<DeleteFixture | undefined> {
  const d = await deleteAttempt(ctx);
  for (const [what, res] of Object.entries(d?.deleted ?? {})) {
    if (!succeeded(res)) {
      throw new Blocked("GBW-009", { message: `DELETE of the ${what} answered ${res.status}`, exchange: res.exchange });
    }
  }
  return d;
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
      using(fixtureAttempt(ctx), async (f) => {
        await eachOf(Object.entries(f.created), async ([what, res]) => {
          // Notes §7.1: 200 on create is seen in the wild; --lenient accepts it.
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
        const replaced = await replaceAttempt(ctx, f);
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
        const replaced = await replacedFixture(ctx, f);
        await eachOf(REPLACED_KINDS, async ([path, env, kind]) => {
          const got = await readBack(ctx, path, env, replaced.bodies[kind]);
          // Fields the bare replacement left out must be gone, not kept from the old object (a merge).
          const kept = replaced.dropped[kind].filter((k) => got[k] !== undefined && got[k] !== "");
          if (kept.length > 0) {
            fail(
              `GET ${path}/${String(replaced.bodies[kind].sourcedId)} still has ${kept.map((k) => `${k}=${JSON.stringify(got[k])}`).join(", ")} after a PUT without ${kept.length > 1 ? "them" : "it"}: merged, not replaced`,
              undefined,
              { [env]: got },
            );
          }
        });
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
      using(deleteAttempt(ctx), async (d) => {
        await eachOf(Object.entries(d.deleted), async ([what, res]) => {
          // Notes §7.2: 200 is also seen; --lenient accepts it.
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
            if (ctx.lenient && res.status === 200 && tombstone(findRecord(res.json, env)?.record)) {
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
  {
    id: "GBW-014",
    title: "MUST keep an object at its path id when a PUT body carries another sourcedId: never rename it",
    section: "§7.1",
    area: "gradebook-writes",
    profiles: ["gradebook"],
    writes: true,
    async run(ctx) {
      const pathId = `${ctx.runId}-cat-path`;
      const bodyId = `${ctx.runId}-cat-body`;
      requireCreated("category", await putObject(ctx, "/categories", "category", categoryBody(ctx, pathId)));
      ctx.deleteLater(`/categories/${bodyId}`);
      const put = await ctx.putJson(
        `/categories/${pathId}`,
        JSON.stringify({ category: categoryBody(ctx, bodyId, `rosterlab conformance ${ctx.runId} (other id)`) }),
      );
      ctx.clearCache();
      // Read back after the update PUT, whatever it answered: refusing and storing under the path id are both fine.
      const atPath = await ctx.get(`/categories/${pathId}`);
      const atBody = await ctx.get(`/categories/${bodyId}`);
      const what = `after PUT /categories/${pathId} with body sourcedId ${bodyId} (answered ${put.status})`;
      ensure(
        atPath.status === 200,
        `${what}, GET /categories/${pathId} answers ${atPath.status}${atBody.status === 200 ? `: the object was renamed to ${bodyId}` : ""}`,
        atPath,
      );
      ensure(
        atBody.status === 404,
        `${what}, GET /categories/${bodyId} answers ${atBody.status}: the PUT stored an object under the body's sourcedId`,
        atBody,
      );
      return undefined;
    },
  },
  {
    id: "GBW-015",
    title:
      "MUST refuse a PUT with an invalid value (an unknown status or scoreStatus) on an existing object with 400 or 422, never a 5xx, and leave the object as it was",
    section: "§7.1, §5.1",
    area: "gradebook-writes",
    profiles: ["gradebook"],
    writes: true,
    run: (ctx) =>
      withFixture(ctx, async (f) => {
        await eachOf(
          [
            ["/results", "result", f.ids.result, { scoreStatus: "nearly graded" }],
            ["/categories", "category", f.ids.category, { status: "deleted" }],
          ] as const,
          async ([path, env, id, bad]) => {
            const full = `${path}/${encodeURIComponent(id)}`;
            const before = (await readWritten(ctx, path, env, id)).record;
            const res = await ctx.putJson(full, JSON.stringify({ [env]: { ...before, ...bad } }));
            ctx.clearCache();
            const type = res.headers.get("content-type") ?? "";
            expectStatus(
              res,
              [400, 422],
              `PUT ${full} with ${JSON.stringify(bad)} (answered with Content-Type "${type}")`,
            );
            const after = await ctx.get(full);
            const now = recordOf(after, env, `GET ${full} after the refused PUT`);
            if (JSON.stringify(sorted(now)) !== JSON.stringify(sorted(before))) {
              fail(`GET ${full} changed after a refused PUT with ${JSON.stringify(bad)}`, after, {
                before,
                after: now,
              });
            }
          },
        );
      }),
  },
  {
    id: "GBW-016",
    title:
      "MUST take a deleted line item's results out with it: none may stay listed or readable as active, pointing at the deleted line item",
    section: "§7.2, §2.3",
    area: "gradebook-writes",
    profiles: ["gradebook"],
    writes: true,
    run: (ctx) =>
      withDeleted(ctx, async (d) => {
        const c = encodeURIComponent(d.f.target.classId);
        const student = encodeURIComponent(d.f.target.studentId);
        const orphanId = String(d.orphan.sourcedId);
        const live = (r: Rec | undefined) => r !== undefined && r.status !== "tobedeleted";
        const what = `${orphanId}, a result of the deleted line item ${String(d.lineItem2.sourcedId)}`;
        await eachOf([`/classes/${c}/results`, `/classes/${c}/students/${student}/results`], async (path) => {
          const all = await readAll(ctx, path, "results");
          const found = all.records.find((r) => r.sourcedId === orphanId);
          if (live(found)) {
            fail(`${path} still lists ${what}`, all.pages[0], { record: found });
          }
        });
        const res = await ctx.get(`/results/${encodeURIComponent(orphanId)}`);
        if (res.status === 200 && live(recordOf(res, "result", `GET /results/${orphanId}`))) {
          fail(`GET /results/${orphanId} still answers 200 with ${what}`, res);
        }
      }),
  },
];

/** The three kinds a replace touches: path, envelope, the fixture key and the collection envelope. */
export const REPLACED_KINDS = [
  ["/categories", "category", "category", "categories"],
  ["/lineItems", "lineItem", "lineItem", "lineItems"],
  ["/results", "result", "result", "results"],
] as const;

type Kind = "category" | "lineItem" | "result";

interface Replaced {
  ids: Record<Kind, string>;
  res: Record<Kind, HttpResult>;
  bodies: Record<Kind, Rec>;
  /** Optional fields the original had and the bare replacement leaves out. */
  dropped: Record<Kind, string[]>;
  /** dateLastModified of each object as read just before the replace. */
  before: Record<Kind, string>;
}

/**
 * Creates a category, line item and result of its own (so the other checks' objects stay as written), reads each
 * one's dateLastModified, then replaces all three with bare bodies: new values, optional fields left out. Once per
 * run. A provider that stamps whole seconds gets a second to move on first, so an update never shares its create's
 * stamp.
 */
function replaceAttempt(ctx: CheckContext, f: WriteFixture): Promise<Replaced> {
  return ctx.once("replace-fixture", async () => {
    const ids: Record<Kind, string> = {
      category: `${ctx.runId}-cat-rep`,
      lineItem: `${ctx.runId}-li-rep`,
      result: `${ctx.runId}-res-rep`,
    };
    const originals: Record<Kind, Rec> = {
      category: categoryBody(ctx, ids.category),
      lineItem: lineItemBody(ctx, f.target, ids.lineItem, ids.category),
      result: resultBody(ctx, f.target, ids.result, ids.lineItem),
    };
    for (const [path, env, kind] of REPLACED_KINDS) {
      requireCreated(env, await putObject(ctx, path, env, originals[kind]));
    }
    const createdAt = performance.now();
    const before = {} as Record<Kind, string>;
    for (const [path, env, kind] of REPLACED_KINDS) {
      before[kind] = String((await readWritten(ctx, path, env, ids[kind])).record.dateLastModified);
    }
    const wholeSeconds = Object.values(before).every((v) => parseInstant(v)?.getUTCMilliseconds() === 0);
    const wait = 1100 - (performance.now() - createdAt);
    if (wholeSeconds && wait > 0) {
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const { description: _d, ...lineItemRest } = originals.lineItem;
    const { comment: _c, ...resultRest } = originals.result;
    const bodies: Record<Kind, Rec> = {
      category: { ...originals.category, title: `rosterlab conformance ${ctx.runId} (renamed)` },
      lineItem: { ...lineItemRest, title: `Conformance quiz ${ctx.runId} (renamed)`, resultValueMax: 50 },
      result: { ...resultRest, score: 42, scoreStatus: "partially graded" },
    };
    const res = {} as Record<Kind, HttpResult>;
    for (const [path, env, kind] of REPLACED_KINDS) {
      res[kind] = await putObject(ctx, path, env, bodies[kind]);
    }
    return { ids, res, bodies, dropped: { category: [], lineItem: ["description"], result: ["comment"] }, before };
  });
}

/** The replaced fixture; blocked by GBW-004 (replacing by PUT is its rule) when a replace PUT did not succeed. */
export async function replacedFixture(ctx: CheckContext, f: WriteFixture): Promise<Replaced> {
  const replaced = await replaceAttempt(ctx, f);
  for (const [what, res] of Object.entries(replaced.res)) {
    if (!succeeded(res)) {
      throw new Blocked("GBW-004", {
        message: `PUT replacing the ${what} answered ${res.status}`,
        exchange: res.exchange,
      });
    }
  }
  return replaced;
}
