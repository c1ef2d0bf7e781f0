// Token requests as real clients send them: the deviations from RFC 6749 the token endpoint can recognise, what a
// lenient client's scorecard says about each, and what a strict refusal tells the client to change.

export type TokenDeviation = "params-in-query" | "json-body" | "basic-url-encoded" | "basic-not-form-encoded";

export const TOKEN_DEVIATIONS: Record<TokenDeviation, { finding: string; fix: string }> = {
  "params-in-query": {
    finding: "sent token request parameters in the query string",
    fix: "send grant_type and scope in the request body as application/x-www-form-urlencoded, not in the query string (RFC 6749 §4.4.2)",
  },
  "json-body": {
    finding: "sent the token request as a JSON body",
    fix: "send the token request body as application/x-www-form-urlencoded, not JSON (RFC 6749 §4.4.2)",
  },
  "basic-url-encoded": {
    finding: "percent-encoded the base64 value of its Basic credentials",
    fix: "send Authorization: Basic <base64> with the base64 value as is, not percent-encoded (RFC 7617 §2)",
  },
  "basic-not-form-encoded": {
    finding: "sent Basic credentials that were not form-encoded before base64",
    fix: "form-encode the client id and secret before joining them with ':' and base64-encoding them (RFC 6749 §2.3.1)",
  },
};

/** The finding codes recorded in the request log: `token:<deviation>`. */
export function findingCode(deviation: TokenDeviation): string {
  return `token:${deviation}`;
}

/** The error_description of a strict refusal: every deviation seen, each with what to change. */
export function strictRefusal(deviations: readonly TokenDeviation[]): string {
  const fixes = [...new Set(deviations)].map((d) => TOKEN_DEVIATIONS[d].fix);
  return `this client is strict: ${fixes.join("; ")}`;
}
