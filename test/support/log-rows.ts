// logEntry: a request-log row as the hook would write it for a client's `GET /orgs` answered 200, for tests that build
// rows by hand (the writer's pruning, the scorecard's judgements); `over` changes what a test is about.
import type { RequestLogEntry } from "../../server/request-log/writer.js";

export function logEntry(at: Date, requestId: string, over: Partial<RequestLogEntry> = {}): RequestLogEntry {
  return {
    at,
    requestId,
    clientId: "c",
    method: "GET",
    path: "/ims/oneroster/v1p1/orgs",
    query: null,
    operation: "getAllOrgs",
    status: 200,
    durationMs: 5,
    bytes: 10,
    total: 0,
    retryAfterMs: null,
    faults: [],
    findings: [],
    ...over,
  };
}
