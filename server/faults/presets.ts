// Named quirk presets: deliberate defects a provider can be switched into, off by default. The conformance
// suite's own tests turn each on to prove its checks fail; a consumer can be tested against them. One home for all.
// (`scope-required` is the one legitimate variant: the suite's tests use it to prove the checks raise no false alarm.)

export const QUIRKS = {
  "no-total-count": "collections omit the X-Total-Count header",
  "link-drops-filter": "Link header URLs drop the filter, sort and orderBy parameters",
  "page-local-sort": "sort is applied within each page instead of before paging",
  "ignore-unknown-filter-field": "a filter on an unknown field is ignored instead of answering 400",
  "silent-limit-cap": "limit is silently capped at 10 while Link and offsets assume the requested limit",
  "put-create-200": "PUT that creates a gradebook object answers 200 instead of 201",
  "delete-200-listed": "DELETE answers 200 and the object stays readable and listed",
  "accept-expired-tokens": "expired bearer tokens are accepted",
  "no-tombstones": "deletes are never sent as tobedeleted: tombstones are left out of every response",
  "unknown-field-400": "an unknown sort or selection field answers 400 instead of 200 with a warning",
  "wrong-envelope": "collections use the key `data` instead of the spec's envelope key",
  "dlm-string-compare": "dateLastModified filters compare the stored text with the value as written, not as instants",
  "terms-need-roster-scope": "/terms and /terms/{id} refuse roster-core.readonly, the scope their table row names",
  "put-update-noop": "PUT of an existing gradebook object answers 200 and stores nothing",
  "put-merge": "PUT of an existing gradebook object merges the body into it field by field instead of replacing it",
  "put-renames": "PUT with a body sourcedId other than the path id renames the existing object to the body's id",
  "put-invalid-500": "PUT of an invalid value onto an existing gradebook object answers an HTML 500",
  "put-keeps-dlm": "PUT of an existing gradebook object leaves its dateLastModified unchanged",
  "put-cannot-create": "PUT of a new gradebook id answers 404: objects can only be replaced, never created",
  "delete-keeps-results":
    "DELETE of a line item leaves its results active, listed and pointing at the deleted line item",
  "bearer-challenge-on-basic":
    "a failed HTTP Basic login at the token endpoint is challenged with WWW-Authenticate: Bearer",
  "token-error-codes":
    "the token endpoint answers a request without scope with invalid_request and a password grant with invalid_grant",
  "hide-schools": "GET /schools answers an empty collection, so nothing can be called under /schools/{id}",
  "scope-required":
    "not a defect: a token request without scope is refused with invalid_scope (RFC 6749 §3.3), as some providers do",
} as const;

export type QuirkName = keyof typeof QUIRKS;
export const QUIRK_NAMES = Object.keys(QUIRKS) as QuirkName[];

export function isQuirkName(name: string): name is QuirkName {
  return Object.hasOwn(QUIRKS, name);
}

/** The silently capped page size of the `silent-limit-cap` quirk. */
export const SILENT_LIMIT_CAP = 10;
