// What of a request URL the request log may keep: the query string as sent, with the value of any parameter that can
// carry a credential replaced (RFC 6750 §2.3 allows an access_token in the query; some clients put secrets there).

const SECRET_PARAMS: ReadonlySet<string> = new Set([
  "access_token",
  "client_secret",
  "refresh_token",
  "token",
  "id_token",
  "password",
  "assertion",
  "client_assertion",
  "code",
]);

export const REDACTED = "REDACTED";

/** `?a=1&client_secret=x` → `a=1&client_secret=REDACTED`; null for no query. Parameter names compare case-blind. */
export function redactQuery(search: string): string | null {
  const raw = search.startsWith("?") ? search.slice(1) : search;
  if (raw === "") {
    return null;
  }
  return raw
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const rawKey = eq < 0 ? pair : pair.slice(0, eq);
      let key = rawKey;
      if (/[%+]/.test(rawKey)) {
        try {
          key = decodeURIComponent(rawKey.replace(/\+/g, " "));
        } catch {
          // Not valid percent-encoding: compared as sent.
        }
      }
      return SECRET_PARAMS.has(key.toLowerCase()) ? `${rawKey}=${REDACTED}` : pair;
    })
    .join("&");
}
