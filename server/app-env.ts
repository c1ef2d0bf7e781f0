// The Hono environment type shared by createApp, its middleware and every route: per-request variables.
import type { AuthContext } from "./auth/require-token.js";

export type AppEnv = {
  Variables: {
    requestId: string;
    /** Set once the bearer token of a data request is verified. */
    auth?: AuthContext;
  };
};
