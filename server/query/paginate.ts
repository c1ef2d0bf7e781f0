// Paging headers (notes §4): X-Total-Count after filtering, and a Link header with first/prev/next/last
// that keeps every other query parameter so a client can follow it blindly, within a size every client can read.

/** Percent-encodes like encodeURIComponent (spaces as %20, never `+`), so any server reads it back the same. */
function encodeQuery(params: [string, string][]): string {
  return params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
}

export interface LinkInput {
  /** Absolute URL of the collection without query string. */
  url: string;
  /** The request's query parameters in their original order. */
  params: [string, string][];
  offset: number;
  /** The page size links step by. */
  limit: number;
  total: number;
  /** Parameter names to leave out of links (the `link-drops-filter` quirk). */
  drop?: readonly string[];
  /**
   * Largest header, in bytes. Links are left out, least useful first (last, first, prev; next last of all), until
   * the header fits: Node's and undici's clients refuse a response whose headers pass 16 KiB, and X-Total-Count with
   * offset paging still works without links (notes §4: Link is recommended, not required).
   */
  maxBytes?: number;
}

/** `<url>; rel="next", <url>; rel="last", …` or undefined when there is nothing to link. */
export function linkHeader(input: LinkInput): string | undefined {
  const { url, offset, limit, total } = input;
  const drop = new Set(["limit", "offset", ...(input.drop ?? [])]);
  // The kept parameters are encoded once; each link only appends its own limit and offset.
  const kept = encodeQuery(input.params.filter(([k]) => !drop.has(k)));
  const prefix = `<${url}?${kept}${kept === "" ? "" : "&"}limit=${limit}&offset=`;
  const at = (o: number) => `${prefix}${o}>`;
  const lastOffset = total > 0 ? Math.floor((total - 1) / limit) * limit : 0;
  const links: string[] = [];
  if (offset + limit < total) {
    links.push(`${at(offset + limit)}; rel="next"`);
  }
  if (offset > 0) {
    links.push(`${at(Math.max(0, Math.min(offset - limit, lastOffset)))}; rel="prev"`);
  }
  links.push(`${at(0)}; rel="first"`);
  links.push(`${at(lastOffset)}; rel="last"`);
  const max = input.maxBytes ?? Number.POSITIVE_INFINITY;
  for (const rel of ["last", "first", "prev", "next"]) {
    if (max === Number.POSITIVE_INFINITY || Buffer.byteLength(links.join(", ")) <= max) {
      break;
    }
    const i = links.findIndex((l) => l.endsWith(`rel="${rel}"`));
    if (i >= 0) {
      links.splice(i, 1);
    }
  }
  return links.length > 0 ? links.join(", ") : undefined;
}
