// ApiError and the one renderer of OneRoster status payloads (notes §5). Everything below a route throws
// ApiError; app.ts's onError/notFound call renderError. Unknown exceptions become a generic 500.
import { type CodeMinor, createStatusInfo, type StatusInfo } from "../oneroster/index.js";

export type HttpStatus = 400 | 401 | 403 | 404 | 405 | 408 | 409 | 413 | 414 | 415 | 422 | 429 | 431 | 500 | 503;

/** The closed list of error kinds and their HTTP status and codeMinor (notes §5.1). */
export const ERROR_KINDS = {
  invalid_filter: { status: 400, codeMinor: "invalid_filter_field" },
  invalid_blank_selection: { status: 400, codeMinor: "invalid_blank_selection_field" },
  invalid_data: { status: 400, codeMinor: "invaliddata" },
  unprocessable: { status: 422, codeMinor: "invaliddata" },
  unauthorized: { status: 401, codeMinor: "unauthorisedrequest" },
  forbidden: { status: 403, codeMinor: "forbidden" },
  not_found: { status: 404, codeMinor: "unknownobject" },
  method_not_allowed: { status: 405, codeMinor: "unsupportedoperation" },
  conflict: { status: 409, codeMinor: "invaliddata" },
  unsupported_media_type: { status: 415, codeMinor: "invaliddata" },
  payload_too_large: { status: 413, codeMinor: "invaliddata" },
  uri_too_long: { status: 414, codeMinor: "invaliddata" },
  headers_too_large: { status: 431, codeMinor: "invaliddata" },
  request_timeout: { status: 408, codeMinor: "invaliddata" },
  busy: { status: 429, codeMinor: "server_busy" },
  internal: { status: 500, codeMinor: "internal_server_error" },
  unavailable: { status: 503, codeMinor: "server_busy" },
} as const satisfies Record<string, { status: HttpStatus; codeMinor: CodeMinor }>;
export type ErrorKind = keyof typeof ERROR_KINDS;

export class ApiError extends Error {
  readonly status: HttpStatus;
  readonly codeMinor: CodeMinor;
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.status = ERROR_KINDS[kind].status;
    this.codeMinor = ERROR_KINDS[kind].codeMinor;
  }
}

/** The error body: `{ statusInfoSet: [ {failure, error, codeMinor, description} ] }` (notes §5.2a). */
export function renderError(err: ApiError, requestId?: string): { statusInfoSet: StatusInfo[] } {
  return { statusInfoSet: [createStatusInfo("failure", "error", err.codeMinor, err.message, requestId)] };
}

/** A success-with-warning entry placed next to the data (notes §3.4). */
export function warning(codeMinor: CodeMinor, description: string): StatusInfo {
  return createStatusInfo("success", "warning", codeMinor, description);
}
