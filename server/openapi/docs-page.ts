// The docs page: the OpenAPI document rendered as one server-side HTML page (no script, no assets from elsewhere):
// operations by tag with their parameters, scopes and answers, then every schema, each with an anchor.

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const anchor = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, "-");

interface Operation {
  operationId: string;
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: unknown }[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: { $ref?: string } }> }>;
}

function schemaLink(schema: { $ref?: string } | undefined): string {
  const name = schema?.$ref?.split("/").pop();
  return name ? `<a href="#schema-${anchor(name)}">${esc(name)}</a>` : "";
}

export const DOCS_STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330}
header{background:#1d2330;color:#fff;padding:12px 24px}header a{color:#9cf}
main{padding:12px 24px;max-width:1100px}
h2{border-bottom:1px solid #ccd;margin-top:28px}
.op{border:1px solid #dde;border-radius:6px;margin:10px 0;padding:8px 12px}
.m{display:inline-block;min-width:58px;font-weight:600;font-family:monospace}
.get{color:#05a}.put{color:#a60}.post{color:#080}.delete{color:#b00}.patch{color:#707}
code,pre{font-family:ui-monospace,monospace;font-size:12px}
pre{background:#f4f5f8;padding:8px;overflow:auto;max-height:420px}
table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;vertical-align:top;border-bottom:1px solid #eef}
.muted{color:#667}`;

/** The whole page for a document built by buildOpenApiDocument. */
export function renderDocsPage(doc: Record<string, unknown>, openapiUrl: string): string {
  const info = doc.info as { title: string; description: string; version: string };
  const paths = doc.paths as Record<string, Record<string, Operation>>;
  const tags = doc.tags as { name: string; description: string }[];
  const schemas = (doc.components as { schemas: Record<string, unknown> }).schemas;
  const byTag = new Map<string, { method: string; path: string; op: Operation }[]>();
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = op.tags?.[0] ?? "other";
      byTag.set(tag, [...(byTag.get(tag) ?? []), { method, path, op }]);
    }
  }
  const sections = tags.map((tag) => {
    const ops = (byTag.get(tag.name) ?? []).map(({ method, path, op }) => {
      const scopes =
        op.security?.flatMap((s) =>
          Object.entries(s).map(([k, v]) => (v.length ? v.map((x) => x.split("/").pop()).join(" | ") : k)),
        ) ?? [];
      const params = (op.parameters ?? [])
        .map(
          (p) =>
            `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}${p.required ? " (required)" : ""}</td><td>${esc(p.description ?? "")}</td></tr>`,
        )
        .join("");
      const body = op.requestBody
        ? `<p>Body: ${Object.entries(op.requestBody.content)
            .map(([type, c]) => `<code>${esc(type)}</code> ${schemaLink(c.schema) || "<code>object</code>"}`)
            .join(", ")}</p>`
        : "";
      const responses = Object.entries(op.responses)
        .map(
          ([status, r]) =>
            `<tr><td><code>${esc(status)}</code></td><td>${esc(r.description)}</td><td>${schemaLink(Object.values(r.content ?? {})[0]?.schema)}</td></tr>`,
        )
        .join("");
      return `<div class="op" id="op-${anchor(op.operationId)}"><span class="m ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code> <span class="muted">${esc(op.operationId)}</span>
<p>${esc(op.summary ?? "")}${scopes.length ? ` <span class="muted">— ${esc(scopes.join("; "))}</span>` : ""}</p>
${params ? `<table><tr><th>parameter</th><th>in</th><th></th></tr>${params}</table>` : ""}${body}
<table><tr><th>status</th><th>answer</th><th>schema</th></tr>${responses}</table></div>`;
    });
    return `<h2 id="tag-${anchor(tag.name)}">${esc(tag.name)}</h2><p class="muted">${esc(tag.description)}</p>${ops.join("\n")}`;
  });
  const schemaList = Object.entries(schemas)
    .map(
      ([name, s]) =>
        `<details id="schema-${anchor(name)}"><summary><code>${esc(name)}</code></summary><pre>${esc(JSON.stringify(s, null, 2))}</pre></details>`,
    )
    .join("\n");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(info.title)} — API</title><style>${DOCS_STYLE}</style></head>
<body><header><strong>${esc(info.title)}</strong> · OpenAPI ${esc(String(doc.openapi))} · <a href="${esc(openapiUrl)}">${esc(openapiUrl)}</a></header>
<main><p>${esc(info.description)}</p><nav>${tags.map((t) => `<a href="#tag-${anchor(t.name)}">${esc(t.name)}</a>`).join(" · ")} · <a href="#schemas">schemas</a></nav>
${sections.join("\n")}<h2 id="schemas">schemas</h2>${schemaList}</main></body></html>`;
}
