// Walks a v1p1 collection page by page with limit/offset, deciding where the collection ends from X-Total-Count
// and the Link header, never from "a short page means the end" (notes §4: providers may cap limit silently).
// The fetch is injected, so the consumer (retrying client) and the conformance suite (recording context) share it.
import { httpStatusError, OneRosterClientError } from "./errors.js";
import { findRecords, type HasHeaders, linkFor, linksOf, type QueryValues, totalCount } from "./wire.js";

/** What the walker needs of an answer; callers may pass richer objects and get them back on each page. */
export interface PageAnswer extends HasHeaders {
  status: number;
  json: unknown;
  url: string;
}

/** Where a walk stands: the offset of the next page to read, and what is known so far. Persist it to resume. */
export interface PageCursor {
  offset: number;
  /** X-Total-Count of the first page read, when the provider sends it. */
  firstTotal?: number;
  /** Pages read so far. */
  pages: number;
  /** True when X-Total-Count moved between pages: the collection changed while it was read. */
  unstable?: boolean;
}

export interface Page<A extends PageAnswer = PageAnswer> {
  records: unknown[];
  /** Offset of the first record of this page. */
  offset: number;
  total?: number;
  /** The cursor of the next page, or undefined when this was the last one. */
  next?: PageCursor;
  /** The cursor after this page even when it was the last (for bookkeeping). */
  after: PageCursor;
  /** Things a careful reader should know (a wrong envelope key, a Link that skips records…), once each. */
  warnings: string[];
  answer: A;
}

export interface WalkOptions {
  /** Path (or absolute URL) of the collection. */
  path: string;
  /** Envelope key of the records (notes §2.12). */
  envelope: string;
  pageSize: number;
  /** Other query parameters (filter, sort, fields); sent on every page. */
  query?: QueryValues;
  /** Resume from here (a cursor saved from an earlier walk). */
  start?: PageCursor;
  /** Stop with BAD_RESPONSE after this many pages (a provider that ignores offset would loop forever). */
  maxPages?: number;
  /** Accept records under another key than the envelope (with a warning). Default true. */
  anyEnvelope?: boolean;
}

/** Builds the URL of one page; the caller's fetcher adds the base URL. */
export type PageFetcher<A extends PageAnswer> = (path: string, query: QueryValues) => Promise<A>;

/** The query parameters of a Link URL, resolved against the answer's URL (RFC 8288 allows relative references). */
function paramsOf(url: string, base: string): URLSearchParams | undefined {
  try {
    return new URL(url, base).searchParams;
  } catch {
    return undefined;
  }
}

function offsetOf(url: string, base: string): number | undefined {
  const params = paramsOf(url, base);
  if (!params) {
    return undefined;
  }
  const v = params.get("offset");
  return v === null ? 0 : Number(v);
}

function idsOf(records: unknown[]): string[] {
  return records
    .map((r) => (r && typeof r === "object" ? (r as { sourcedId?: unknown }).sourcedId : undefined))
    .filter((id): id is string => typeof id === "string");
}

/**
 * Yields every page of a collection. Non-200 answers and answers without a records array throw
 * OneRosterClientError (HTTP_STATUS / BAD_RESPONSE) carrying the answer's URL and status payload.
 */
export async function* walkPages<A extends PageAnswer>(
  fetchPage: PageFetcher<A>,
  options: WalkOptions,
): AsyncGenerator<Page<A>> {
  const maxPages = options.maxPages ?? 100_000;
  let cursor: PageCursor = options.start ?? { offset: 0, pages: 0 };
  // Each kind of defect is reported once per walk (its first occurrence), however many pages show it.
  const warned = new Set<string>();
  const warnOnce = (list: string[], kind: string, text: string) => {
    if (!warned.has(kind)) {
      warned.add(kind);
      list.push(text);
    }
  };
  let previousIds: Set<string> | undefined;
  /** Offset of a short page whose Link named no next page; records after it mean Link cannot be trusted. */
  let linkEndedAt: number | undefined;
  for (;;) {
    if (cursor.pages >= maxPages) {
      throw new OneRosterClientError("BAD_RESPONSE", `${options.path}: gave up after ${maxPages} pages`);
    }
    const query: QueryValues = { ...options.query, limit: options.pageSize, offset: cursor.offset };
    const answer = await fetchPage(options.path, query);
    if (answer.status !== 200) {
      throw httpStatusError("GET", answer);
    }
    const warnings: string[] = [];
    const found = findRecords(answer.json, options.envelope);
    if (!found || (found.key !== options.envelope && options.anyEnvelope === false)) {
      throw new OneRosterClientError(
        "BAD_RESPONSE",
        `GET ${answer.url}: the answer has no "${options.envelope}" array (notes §2.12)`,
        { status: answer.status, url: answer.url },
      );
    }
    if (found.key !== options.envelope) {
      warnOnce(
        warnings,
        "envelope",
        `records arrived under "${found.key}" instead of the envelope key "${options.envelope}"`,
      );
    }
    const records = found.records;
    const total = totalCount(answer);
    const received = records.length;
    const nextOffset = cursor.offset + received;
    const ids = idsOf(records);
    if (previousIds && ids.length > 0 && ids.every((id) => previousIds?.has(id))) {
      throw new OneRosterClientError(
        "BAD_RESPONSE",
        `GET ${answer.url}: the page at offset ${cursor.offset} repeats the previous page; the provider ignores offset`,
        { status: answer.status, url: answer.url },
      );
    }
    previousIds = new Set(ids);
    let unstable = cursor.unstable ?? false;
    const firstTotal = cursor.firstTotal ?? total;
    if (total !== undefined && firstTotal !== undefined && total !== firstTotal) {
      unstable = true;
      warnOnce(
        warnings,
        "total-moved",
        `X-Total-Count moved from ${firstTotal} to ${total} while paging: the collection changed during the read`,
      );
    }
    const links = linksOf(answer);
    if (links === undefined) {
      warnOnce(warnings, "link-malformed", "the Link header is malformed; paging by offset");
    }
    const nextLink = links ? linkFor(links, "next") : undefined;
    if (received > 0 && linkEndedAt !== undefined) {
      warnOnce(
        warnings,
        "link-ended-early",
        `Link named no next page after the short page at offset ${linkEndedAt}, yet more records followed: the provider caps limit silently; reading on until an empty page`,
      );
    }
    let done: boolean;
    if (received === 0) {
      done = true;
      if (total !== undefined && cursor.offset < total) {
        warnOnce(
          warnings,
          "empty-before-total",
          `X-Total-Count says ${total} but the page at offset ${cursor.offset} is empty`,
        );
      }
    } else if (total !== undefined) {
      done = nextOffset >= total;
    } else if (links && links.length > 0) {
      // A full page without a next link is the last one. A short page without one may be a silent cap on limit
      // (notes §4) whose links still assume the limit we asked for, so only an empty page may end the walk there.
      done = nextLink === undefined && received >= options.pageSize;
      warnOnce(
        warnings,
        "no-total-count",
        "the provider sends no X-Total-Count; the end is taken from the Link header",
      );
      if (nextLink === undefined && !done) {
        linkEndedAt ??= cursor.offset;
      }
    } else {
      // Neither header: the only safe end is an empty page (a short page may be a silent cap).
      done = false;
      if (links) {
        warnOnce(
          warnings,
          "no-headers",
          "the provider sends neither X-Total-Count nor Link; reading until an empty page",
        );
      }
    }
    if (!done && nextLink !== undefined) {
      const linked = offsetOf(nextLink, answer.url);
      if (linked !== undefined && linked !== nextOffset) {
        warnOnce(
          warnings,
          "link-offset",
          `Link next points at offset ${linked} but ${received} records came from offset ${cursor.offset}; reading on from ${nextOffset} so none is skipped`,
        );
      }
      for (const name of ["filter", "sort", "fields"] as const) {
        if (options.query?.[name] !== undefined && !paramsOf(nextLink, answer.url)?.has(name)) {
          warnOnce(
            warnings,
            `link-drops-${name}`,
            `Link next drops the ${name} parameter; paging with our own URLs instead`,
          );
        }
      }
    }
    const after: PageCursor = {
      offset: nextOffset,
      pages: cursor.pages + 1,
      ...(firstTotal !== undefined ? { firstTotal } : {}),
      ...(unstable ? { unstable } : {}),
    };
    yield {
      records,
      offset: cursor.offset,
      ...(total !== undefined ? { total } : {}),
      ...(done ? {} : { next: after }),
      after,
      warnings,
      answer,
    };
    if (done) {
      return;
    }
    cursor = after;
  }
}
