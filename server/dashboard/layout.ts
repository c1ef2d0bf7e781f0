// The dashboard's page shell: one stylesheet, a navigation bar, HTML escaping through hono/html's tagged template
// (every interpolated value is escaped unless wrapped in raw()), and small pieces shared by the pages.
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#fafbfc}
header{background:#1d2330;color:#fff;padding:10px 24px;display:flex;gap:20px;align-items:center}
header a{color:#cfe3ff;text-decoration:none}header a.on{color:#fff;font-weight:600;border-bottom:2px solid #6cf}
main{padding:12px 24px;max-width:1200px}
h1{font-size:20px}h2{font-size:16px;margin-top:24px}
table{border-collapse:collapse;background:#fff;margin:6px 0}
td,th{padding:3px 10px;text-align:left;border-bottom:1px solid #e4e7ee;vertical-align:top}
th{background:#eef1f6}
code{font-family:ui-monospace,monospace;font-size:12px}
.card{background:#fff;border:1px solid #dde;border-radius:6px;padding:10px 14px;margin:10px 0}
.pass{color:#080}.fail{color:#b00}.na{color:#778}.s4{color:#a60}.s5{color:#b00}
form.inline{display:inline}
input,select,button{font:inherit;padding:2px 6px}
.muted{color:#667}.error{background:#fee;border:1px solid #e99;padding:8px;border-radius:4px}`;

const NAV: [string, string][] = [
  ["/dashboard", "overview"],
  ["/dashboard/clients", "clients & faults"],
  ["/dashboard/requests", "request log"],
  ["/dashboard/batches", "consumer batches"],
  ["/docs", "API docs"],
];

/** A whole page; `refresh` seconds makes it reload itself (the live request log), no script needed. */
export function page(title: string, active: string, body: Html, options: { refresh?: number } = {}): Html {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${title} · rosterlab</title>
    ${options.refresh ? html`<meta http-equiv="refresh" content="${options.refresh}" />` : ""}
    <style>
      ${STYLE}
    </style>
  </head>
  <body>
    <header>
      <strong>rosterlab</strong>
      ${NAV.map(([href, label]) => html`<a href="${href}" class="${href === active ? "on" : ""}">${label}</a>`)}
    </header>
    <main>
      <h1>${title}</h1>
      ${body}
    </main>
  </body>
</html>`;
}

export function statusClass(status: number): string {
  return status >= 500 ? "s5" : status >= 400 ? "s4" : "";
}
