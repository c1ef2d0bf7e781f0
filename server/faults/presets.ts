// Named quirk presets: deliberate defects a provider can be switched into, off by default. The conformance
// suite's own tests turn each on to prove its checks fail; a consumer can be tested against them. One home for all.

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
} as const;

export type QuirkName = keyof typeof QUIRKS;
export const QUIRK_NAMES = Object.keys(QUIRKS) as QuirkName[];

export function isQuirkName(name: string): name is QuirkName {
  return Object.hasOwn(QUIRKS, name);
}

/** The silently capped page size of the `silent-limit-cap` quirk. */
export const SILENT_LIMIT_CAP = 10;
