// Pure wire helpers every OneRoster client needs: query strings with %20, X-Total-Count, RFC 8288 Link headers,
// client_credentials request bodies and Basic credentials. No I/O; shared by the consumer and the conformance suite.

/** Query values as clients pass them; undefined values are left out. */
export type QueryValues = Record<string, string | number | undefined>;

/** encodeURIComponent plus the sub-delimiters it leaves alone (RFC 3986 §2.2): `!`, `'`, `(`, `)` and `*`. */
function encodeComponent(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Encodes query parameters with encodeURIComponent, not URLSearchParams: spaces must travel as %20, not '+',
 * because v1p1 filter values are quoted strings that may hold spaces, and the quotes travel as %27 (notes §3.1).
 */
export function encodeQuery(query: QueryValues = {}): string {
  return Object.entries(query)
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => `${encodeComponent(k)}=${encodeComponent(String(v))}`)
    .join("&");
}

/** `base + path` (or an absolute URL as given) with the query appended. */
export function buildUrl(baseUrl: string, pathOrUrl: string, query?: QueryValues): string {
  const base = /^https?:\/\//i.test(pathOrUrl) ? pathOrUrl : `${baseUrl.replace(/\/+$/, "")}${pathOrUrl}`;
  const qs = encodeQuery(query);
  if (qs === "") {
    return base;
  }
  return `${base}${base.includes("?") ? "&" : "?"}${qs}`;
}

/** Something with response headers: a fetch Response, or a recorded answer. */
export interface HasHeaders {
  headers: { get(name: string): string | null };
}

/** Reads `X-Total-Count` as a non-negative integer, or undefined when absent or malformed (notes §4). */
export function totalCount(res: HasHeaders): number | undefined {
  const v = res.headers.get("x-total-count");
  if (v === null || !/^\s*\d+\s*$/.test(v)) {
    return undefined;
  }
  return Number(v);
}

/** One parsed `Link` entry (RFC 8288 §3). */
export interface LinkEntry {
  url: string;
  rels: string[];
}

/** Parses a Link header; returns undefined when it is present but malformed. */
export function parseLinkHeader(value: string): LinkEntry[] | undefined {
  const entries: LinkEntry[] = [];
  // RFC 8288 §3: `; name` or `; name=value`, the value a quoted string or a token (a looser value would swallow a
  // missing comma between two entries).
  const re = /\s*<([^>]*)>\s*((?:;\s*[\w!#$%&'*+.^`|~-]+\s*(?:=\s*(?:"[^"]*"|[^\s;,"<>]*))?\s*)*)(,|$)/y;
  let pos = 0;
  while (pos < value.length) {
    re.lastIndex = pos;
    const m = re.exec(value);
    if (!m || m[0].length === 0) {
      return undefined;
    }
    const params = m[2] ?? "";
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^;,\s]*))/i.exec(params);
    entries.push({ url: m[1] ?? "", rels: (rel?.[1] ?? rel?.[2] ?? "").split(/\s+/).filter(Boolean) });
    pos = re.lastIndex;
  }
  return entries;
}

/** The URL for a rel in a parsed Link header. */
export function linkFor(entries: readonly LinkEntry[], rel: string): string | undefined {
  return entries.find((e) => e.rels.includes(rel))?.url;
}

/** The Link header of an answer, parsed; [] when absent, undefined when malformed. */
export function linksOf(res: HasHeaders): LinkEntry[] | undefined {
  const raw = res.headers.get("link");
  return raw === null || raw.trim() === "" ? [] : parseLinkHeader(raw);
}

/** `Basic base64(id:secret)` with both parts form-encoded first (RFC 6749 §2.3.1). */
export function basicCredentials(clientId: string, clientSecret: string): string {
  const user = encodeURIComponent(clientId);
  const pass = encodeURIComponent(clientSecret);
  return `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
}

/** An `application/x-www-form-urlencoded` body (RFC 6749 §4.4.2 token requests). */
export function formBody(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join("&");
}

/** The records array of a collection answer under its envelope key, or undefined when there is none (notes §2.12). */
export function envelopeRecords(json: unknown, envelope: string): unknown[] | undefined {
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    return undefined;
  }
  const list = (json as Record<string, unknown>)[envelope];
  return Array.isArray(list) ? list : undefined;
}

/**
 * Finds the records array of a collection answer whatever key the provider used: the envelope key when present,
 * else the only array-valued key besides `statusInfoSet`. `key` says which was used, so callers can report a
 * wrong envelope once instead of failing every check or page that reads records.
 */
export function findRecords(json: unknown, envelope: string): { records: unknown[]; key: string } | undefined {
  const exact = envelopeRecords(json, envelope);
  if (exact) {
    return { records: exact, key: envelope };
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    return undefined;
  }
  const arrays = Object.entries(json as Record<string, unknown>).filter(
    ([k, v]) => k !== "statusInfoSet" && Array.isArray(v),
  );
  if (arrays.length !== 1) {
    return undefined;
  }
  const [key, records] = arrays[0] as [string, unknown[]];
  return { records, key };
}

/**
 * Finds the object of a single-object answer whatever key the provider used: the envelope key when it holds an
 * object, else the only object-valued key besides `statusInfoSet` (the single-read counterpart of findRecords).
 */
export function findRecord(
  json: unknown,
  envelope: string,
): { record: Record<string, unknown>; key: string } | undefined {
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    return undefined;
  }
  const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
  const body = json as Record<string, unknown>;
  const exact = body[envelope];
  if (isObject(exact)) {
    return { record: exact, key: envelope };
  }
  const objects = Object.entries(body).filter(([k, v]) => k !== "statusInfoSet" && isObject(v));
  if (objects.length !== 1) {
    return undefined;
  }
  const [key, record] = objects[0] as [string, Record<string, unknown>];
  return { record, key };
}
