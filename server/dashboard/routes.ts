// The browser dashboard under /dashboard, server-rendered with no script: the district and its clock, clients and
// their faults (switchable with plain forms), the live request log, scorecards, and consumer batches when a consumer
// shares the database. Behind the admin credential (HTTP Basic, any user name, the admin token as password);
// forms must come from the dashboard's own origin.
import type { Context, Hono } from "hono";
import { html } from "hono/html";
import { adminTokenMatches } from "../admin/routes.js";
import type { AppEnv } from "../app-env.js";
import type { ClientDirectory } from "../clients/directory.js";
import { ClientError, getClient, listClients } from "../clients/store.js";
import { describeFaults, FaultSpecError, formatFaultSpec, isFaultName, parseFaultSpec } from "../faults/catalog.js";
import { clientScope, PROVIDER_SCOPE, type SwitchedFault } from "../faults/store.js";
import { countRecords, listConsumerBatches } from "../repo/overview.js";
import type { RequestLog } from "../request-log/writer.js";
import type { RouteDeps } from "../routes/context.js";
import { scorecardFor } from "../scorecard/admin-routes.js";
import { type Html, page, statusClass } from "./layout.js";

type DashboardDeps = RouteDeps & { clients: ClientDirectory; requestLog: RequestLog };

const REALM = 'Basic realm="rosterlab dashboard", charset="UTF-8"';

/** The admin credential as HTTP Basic password (browsers ask for it) or as a bearer token (scripts). */
function presentedCredential(header: string): string | undefined {
  const bearer = /^Bearer (.+)$/i.exec(header)?.[1];
  if (bearer) {
    return bearer;
  }
  const basic = /^Basic +([A-Za-z0-9+/]+=*)$/i.exec(header)?.[1];
  if (!basic) {
    return undefined;
  }
  const decoded = Buffer.from(basic, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

function message(c: Context<AppEnv>, status: 400 | 401 | 403 | 404, title: string, text: string) {
  return c.html(page(title, "", html`<p class="error">${text}</p><p><a href="/dashboard">back</a></p>`), status);
}

function faultRows(faults: SwitchedFault[], offAction: (name: string) => string): Html {
  if (faults.length === 0) {
    return html`<p class="muted">none</p>`;
  }
  return html`<table>
    <tr><th>preset</th><th>from</th><th>since</th><th>until</th><th></th></tr>
    ${faults.map(
      (f) => html`<tr>
        <td><code>${formatFaultSpec(f)}</code></td>
        <td>${f.source}</td>
        <td>${f.since.toISOString()}</td>
        <td>${f.until?.toISOString() ?? "switched off by hand"}</td>
        <td>${
          f.source === "start"
            ? html`<span class="muted">set at start</span>`
            : html`<form class="inline" method="post" action="${offAction(f.name)}">
                <button type="submit" data-off="${f.name}">switch off</button>
              </form>`
        }</td>
      </tr>`,
    )}
  </table>`;
}

function switchForm(action: string, testId: string): Html {
  const presets = describeFaults();
  return html`<form method="post" action="${action}" data-form="${testId}">
    <select name="preset">
      ${Object.entries(presets).map(([name, p]) => html`<option value="${name}">${name} (${p.kind})</option>`)}
    </select>
    <input name="params" placeholder="every=5,burst=2" size="30" />
    <button type="submit">switch on</button>
  </form>`;
}

export function registerDashboardRoutes(app: Hono<AppEnv>, deps: DashboardDeps): void {
  const store = deps.quirkStore;

  app.use("/dashboard", async (c, next) => guard(c, next));
  app.use("/dashboard/*", async (c, next) => guard(c, next));
  async function guard(c: Context<AppEnv>, next: () => Promise<void>) {
    const expected = deps.config.adminToken;
    if (!expected) {
      return message(c, 403, "dashboard off", "the dashboard is off: start the server with ROSTERLAB_ADMIN_TOKEN set");
    }
    if (!adminTokenMatches(presentedCredential(c.req.header("authorization") ?? ""), expected)) {
      c.header("WWW-Authenticate", REALM);
      return message(
        c,
        401,
        "sign in",
        "the dashboard needs the admin credential (any user name, the admin token as password)",
      );
    }
    if (c.req.method === "POST") {
      // Browsers send Basic credentials on cross-site form posts too: only our own pages may post.
      const origin = c.req.header("origin");
      const own = new URL(c.req.url).origin;
      if (origin !== undefined && origin !== own && origin !== deps.config.publicUrl) {
        return message(c, 403, "refused", "a form from another site may not change this provider");
      }
      if (origin === undefined && c.req.header("sec-fetch-site") === "cross-site") {
        return message(c, 403, "refused", "a form from another site may not change this provider");
      }
    }
    await next();
    return undefined;
  }

  app.get("/dashboard", async (c) => {
    const counts = await countRecords(deps.db);
    const clock = deps.districtClock ? await deps.districtClock.status() : undefined;
    const body = html`
      <div class="card">
        <h2>district</h2>
        <table>
          ${Object.entries(counts).map(([name, n]) => html`<tr><th>${name}</th><td data-count="${name}">${n}</td></tr>`)}
        </table>
      </div>
      <div class="card">
        <h2>clock</h2>
        ${
          clock
            ? html`<table>${Object.entries(clock).map(([k, v]) => html`<tr><th>${k}</th><td data-clock="${k}">${String(v)}</td></tr>`)}</table>
                <form method="post" action="/dashboard/clock/advance" data-form="advance">
                  advance <input name="days" value="1" size="3" /> school day(s) <button type="submit">advance</button>
                </form>`
            : html`<p class="muted">no district clock in this server</p>`
        }
      </div>`;
    return c.html(page("overview", "/dashboard", body));
  });

  app.post("/dashboard/clock/advance", async (c) => {
    if (!deps.districtClock) {
      return message(c, 404, "no clock", "no district clock in this server");
    }
    const days = Number((await c.req.parseBody()).days);
    if (!Number.isInteger(days) || days < 1 || days > 3650) {
      return message(c, 400, "bad days", "days must be a whole number from 1 to 3650");
    }
    try {
      await deps.districtClock.advance(days);
    } catch (error) {
      return message(c, 400, "not advanced", error instanceof Error ? error.message : String(error));
    }
    deps.pageCache.invalidate();
    return c.redirect("/dashboard", 303);
  });

  app.get("/dashboard/clients", async (c) => {
    const clients = await listClients(deps.db);
    const provider = await store.list(PROVIDER_SCOPE);
    const perClient = await Promise.all(clients.map(async (cl) => store.list(clientScope(cl.clientId))));
    const body = html`
      <div class="card" id="provider-faults">
        <h2>provider-wide faults</h2>
        ${faultRows(provider, (name) => `/dashboard/faults/${encodeURIComponent(name)}/off`)}
        ${switchForm("/dashboard/faults", "provider")}
      </div>
      <h2>clients</h2>
      <table>
        <tr><th>client id</th><th>name</th><th>token requests</th><th>faults</th><th></th></tr>
        ${clients.map(
          (cl, i) => html`<tr data-client="${cl.clientId}">
            <td><a href="/dashboard/clients/${encodeURIComponent(cl.clientId)}">${cl.clientId}</a></td>
            <td>${cl.name}</td>
            <td>${cl.tokenLeniency}</td>
            <td>${(perClient[i] ?? []).map((f) => html`<code>${formatFaultSpec(f)}</code> `)}</td>
            <td><a href="/dashboard/clients/${encodeURIComponent(cl.clientId)}/scorecard">scorecard</a></td>
          </tr>`,
        )}
      </table>`;
    return c.html(page("clients & faults", "/dashboard/clients", body));
  });

  app.get("/dashboard/clients/:id", async (c) => {
    const id = c.req.param("id");
    let client: Awaited<ReturnType<typeof getClient>>;
    try {
      client = await getClient(deps.db, id);
    } catch (error) {
      if (error instanceof ClientError) {
        return message(c, 404, "no such client", error.message);
      }
      throw error;
    }
    const faults = await store.list(clientScope(id));
    const counters = await store.counters(clientScope(id));
    const base = `/dashboard/clients/${encodeURIComponent(id)}`;
    const body = html`
      <div class="card">
        <table>
          <tr><th>client id</th><td>${client.clientId}</td></tr>
          <tr><th>name</th><td>${client.name}</td></tr>
          <tr><th>scopes</th><td>${client.scopes.map((s) => html`<code>${s.slice(s.lastIndexOf("/") + 1)}</code> `)}</td></tr>
          <tr><th>token requests</th><td>${client.tokenLeniency}</td></tr>
        </table>
        <p><a href="${base}/scorecard">scorecard</a> · <a href="/dashboard/requests?client=${encodeURIComponent(id)}">requests</a></p>
      </div>
      <div class="card" id="client-faults">
        <h2>faults for this client</h2>
        ${faultRows(faults, (name) => `${base}/faults/${encodeURIComponent(name)}/off`)}
        ${switchForm(`${base}/faults`, "client")}
        ${
          counters.length > 0
            ? html`<h2>counters</h2><table>${counters.map((k) => html`<tr><td>${k.name}</td><td>${k.key || "requests"}</td><td>${k.n}</td></tr>`)}</table>`
            : ""
        }
      </div>`;
    return c.html(page(`client ${id}`, "/dashboard/clients", body));
  });

  const switchOn = async (c: Context<AppEnv>, scope: string, back: string) => {
    const form = await c.req.parseBody();
    const name = String(form.preset ?? "");
    const params = String(form.params ?? "").trim();
    try {
      await store.switchOn(scope, parseFaultSpec(params ? `${name}:${params}` : name));
    } catch (error) {
      if (error instanceof FaultSpecError) {
        return message(c, 400, "not switched on", error.message);
      }
      throw error;
    }
    deps.pageCache.invalidate();
    return c.redirect(back, 303);
  };
  const switchOff = async (c: Context<AppEnv>, scope: string, back: string) => {
    const name = c.req.param("name") ?? "";
    if (!isFaultName(name) || !(await store.switchOff(scope, name))) {
      return message(c, 404, "not on", `fault preset ${name} is not switched on here`);
    }
    deps.pageCache.invalidate();
    return c.redirect(back, 303);
  };
  app.post("/dashboard/faults", (c) => switchOn(c, PROVIDER_SCOPE, "/dashboard/clients"));
  app.post("/dashboard/faults/:name/off", (c) => switchOff(c, PROVIDER_SCOPE, "/dashboard/clients"));
  app.post("/dashboard/clients/:id/faults", async (c) => {
    const id = c.req.param("id");
    const exists = await getClient(deps.db, id).then(
      () => true,
      () => false,
    );
    return exists
      ? switchOn(c, clientScope(id), `/dashboard/clients/${encodeURIComponent(id)}`)
      : message(c, 404, "no such client", `no client ${id}`);
  });
  app.post("/dashboard/clients/:id/faults/:name/off", (c) => {
    const id = c.req.param("id");
    return switchOff(c, clientScope(id), `/dashboard/clients/${encodeURIComponent(id)}`);
  });

  app.get("/dashboard/clients/:id/scorecard", async (c) => {
    const id = c.req.param("id");
    const since = c.req.query("since");
    const window = since && !Number.isNaN(Date.parse(since)) ? { since: new Date(since) } : {};
    const card = await scorecardFor(deps, id, window);
    const body = html`
      <p class="muted">${card.requests} requests from ${card.since ?? "the beginning"} ·
        ${card.summary.pass} passed, ${card.summary.fail} failed, ${card.summary["not-applicable"]} not applicable</p>
      ${card.verdicts.map(
        (v) => html`<div class="card" data-verdict="${v.id}">
          <strong class="${v.outcome === "pass" ? "pass" : v.outcome === "fail" ? "fail" : "na"}">${v.outcome}</strong>
          <strong>${v.id}</strong> ${v.title} <span class="muted">(${v.section})</span>
          <p>${v.summary}</p>
          ${
            v.evidence.length > 0
              ? html`<table>${v.evidence.map(
                  (
                    e,
                  ) => html`<tr><td>${e.at}</td><td>${e.method}</td><td><code>${e.path}${e.query ? `?${e.query}` : ""}</code></td>
                    <td class="${statusClass(e.status)}">${e.status}</td><td class="muted">${e.note ?? ""}</td></tr>`,
                )}</table>`
              : ""
          }
        </div>`,
      )}`;
    return c.html(page(`scorecard of ${id}`, "/dashboard/clients", body));
  });

  app.get("/dashboard/requests", async (c) => {
    await deps.requestLog.settle();
    const client = c.req.query("client") || undefined;
    const status = Number(c.req.query("status"));
    const rows = await deps.requestLog.list({
      limit: 200,
      ...(client ? { clientId: client } : {}),
      ...(Number.isInteger(status) && status >= 100 ? { status } : {}),
    });
    const body = html`
      <form method="get" action="/dashboard/requests">
        client <input name="client" value="${client ?? ""}" size="20" />
        status <input name="status" value="${c.req.query("status") ?? ""}" size="4" />
        <button type="submit">filter</button> <span class="muted">newest first; reloads every 5 s</span>
      </form>
      <table id="requests">
        <tr><th>at</th><th>client</th><th>request</th><th>status</th><th>ms</th><th>bytes</th><th>faults / findings</th></tr>
        ${rows.map(
          (r) => html`<tr>
            <td>${r.at.toISOString()}</td>
            <td>${r.clientId ?? "-"}</td>
            <td><code>${r.method} ${r.path}${r.query ? `?${r.query}` : ""}</code></td>
            <td class="${statusClass(r.status)}">${r.status}</td>
            <td>${r.durationMs}</td>
            <td>${r.bytes ?? "-"}</td>
            <td>${[...r.faults, ...r.findings].join(" ")}</td>
          </tr>`,
        )}
      </table>`;
    return c.html(page("request log", "/dashboard/requests", body, { refresh: 5 }));
  });

  app.get("/dashboard/batches", async (c) => {
    const found = await listConsumerBatches(deps.db);
    const body =
      found === undefined
        ? html`<p class="muted">no consumer shares this database (no table named batches outside the provider schema)</p>`
        : html`<p class="muted">from <code>${found.table}</code>, newest first</p>
            <table>
              <tr>${found.columns.map((col) => html`<th>${col}</th>`)}</tr>
              ${found.rows.map((row) => html`<tr>${found.columns.map((col) => html`<td>${formatCell(row[col])}</td>`)}</tr>`)}
            </table>`;
    return c.html(page("consumer batches", "/dashboard/batches", body));
  });
}

function formatCell(value: unknown): string {
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (value !== null && typeof value === "object") {
    return JSON.stringify(value).slice(0, 200);
  }
  return value === null || value === undefined ? "" : String(value);
}
