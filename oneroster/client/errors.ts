// Typed client errors with a stable `code` (jose style), so callers branch on codes, never on message text.
// A provider's status payload travels with the error; secrets and tokens never do.
import { readStatusInfo } from "../index.js";

export type ClientErrorCode =
  /** The token endpoint refused us or never answered usably (RFC 6749 §5.2 error in `detail`). */
  | "TOKEN_FAILED"
  /** The provider answered with a status the caller cannot use (after any retries). */
  | "HTTP_STATUS"
  /** No answer: connection refused, reset or dropped mid-body, DNS, TLS (after retries). */
  | "NETWORK"
  /** No answer within the timeout (after retries). */
  | "TIMEOUT"
  /** An answer that is not what v1p1 promises: not JSON, no records array, a paging contradiction. */
  | "BAD_RESPONSE"
  /** A record that does not pass the v1p1 schema; reported per record, never thrown for a whole page. */
  | "SCHEMA_MISMATCH";

/** The status payload fields of an error answer (notes §5.2), normalised. */
export interface ProviderStatus {
  codeMajor?: string;
  severity?: string;
  codeMinor?: string;
  description?: string;
}

export class OneRosterClientError extends Error {
  readonly code: ClientErrorCode;
  /** HTTP status of the last answer, when there was one. */
  readonly status?: number;
  /** The URL asked (never carries credentials: they travel in headers). */
  readonly url?: string;
  /** The provider's status payload, when it sent one. */
  readonly providerStatus?: ProviderStatus;
  /** Attempts made, including the first. */
  readonly attempts?: number;

  constructor(
    code: ClientErrorCode,
    message: string,
    extra: { status?: number; url?: string; body?: unknown; attempts?: number; cause?: unknown } = {},
  ) {
    super(message, extra.cause !== undefined ? { cause: extra.cause } : undefined);
    this.name = "OneRosterClientError";
    this.code = code;
    if (extra.status !== undefined) {
      this.status = extra.status;
    }
    if (extra.url !== undefined) {
      this.url = extra.url;
    }
    if (extra.attempts !== undefined) {
      this.attempts = extra.attempts;
    }
    const status = extra.body === undefined ? undefined : readStatusInfo(extra.body)[0];
    if (status) {
      this.providerStatus = status;
    }
  }
}

/** A one-line description of a status payload, for messages and batch error rows. */
export function describeProviderStatus(status: ProviderStatus | undefined): string {
  if (!status) {
    return "";
  }
  const parts = [status.codeMajor, status.severity, status.codeMinor].filter(Boolean).join("/");
  return status.description ? `${parts}: ${status.description}` : parts;
}

/** The HTTP_STATUS error for an answer the caller cannot use, its message naming the provider's status payload. */
export function httpStatusError(
  method: string,
  res: { status: number; url: string; json: unknown },
): OneRosterClientError {
  const err = new OneRosterClientError("HTTP_STATUS", `${method} ${res.url} answered ${res.status}`, {
    status: res.status,
    url: res.url,
    body: res.json,
  });
  const detail = describeProviderStatus(err.providerStatus);
  if (detail) {
    err.message = `${err.message} (${detail})`;
  }
  return err;
}
