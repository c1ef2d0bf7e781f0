// The Hono environment type shared by createApp, its middleware and every route: per-request variables.
import type { AuthContext } from "./auth/require-token.js";
import type { RequestFaults } from "./faults/engine.js";

export type AppEnv = {
  Variables: {
    requestId: string;
    /** The request target as the client sent it: path and query, without scheme and host. */
    target: string;
    /** The request's own origin, once something needed it (routes/context.ts originOf). */
    origin?: string;
    /** Set once the bearer token of a data request is verified. */
    auth?: AuthContext;
    /** Set by the fault hook (faults/engine.ts) once it knows the client: the quirks in force and faults applied. */
    faults?: RequestFaults;
    /** The v1p1 operation the request addresses (null: none), once the fault hook has matched it. */
    operation?: string | null;
    /** The client a request came from, as far as it is known (for the request log). */
    clientId?: string;
    /** Protocol deviations a lenient provider accepted on this request (for the request log and scorecard). */
    findings?: string[];
  };
};
