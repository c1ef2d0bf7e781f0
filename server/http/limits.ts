// Every size limit the provider enforces on its input, in one place, so the README, the error messages and the
// tests quote the same numbers. Limits are checked before anything reaches the database.

/** Bytes of a token request body (RFC 6749 §4.4.2 requests are a few hundred bytes). */
export const TOKEN_BODY_BYTES = 16 * 1024;
/** Bytes of a gradebook PUT body (a line item or result is well under 1 KB; metadata may add some). */
export const PUT_BODY_BYTES = 256 * 1024;
/** Bytes of an admin request body (`{"days": 5}`, a list of quirk names). */
export const ADMIN_BODY_BYTES = 16 * 1024;
/**
 * Nesting depth of a JSON body: objects and arrays inside each other. `{"lineItem":{"metadata":{…}}}` is 3 deep.
 * Deeper documents crash the embedded engine (PGlite) and exhaust recursive checks, so they never reach it.
 */
export const JSON_MAX_DEPTH = 32;
/** Characters of a request target (path and query). Longer answers 414; far longer is refused by Node itself. */
export const URL_MAX_LENGTH = 4096;
/** Characters of a sourcedId in a path or a reference: past this an id cannot be a btree key (notes §2.1). */
export const SOURCED_ID_MAX_LENGTH = 256;
/**
 * Bytes of the Link header. Node's and undici's clients refuse a response whose headers exceed 16 KiB in total,
 * so links are dropped (last, first, prev, then next) rather than sent past this.
 */
export const LINK_HEADER_MAX_BYTES = 8 * 1024;
/** Bytes of request headers Node accepts (its default); a larger request gets a 431 status payload. */
export const HEADERS_MAX_BYTES = 16 * 1024;
