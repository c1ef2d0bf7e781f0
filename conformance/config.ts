// The conformance command's environment, parsed once with zod: where the provider is and who we are to it. The
// secret lives here (ONEROSTER_CLIENT_SECRET) so it never has to appear on a command line, in a process list or in
// npm's script banner. The only file of conformance/ that reads process.env (cli.ts passes it in).
import { z } from "zod";

const url = z.url({ protocol: /^https?$/ });
const text = z.string().trim().min(1);

const EnvSchema = z.object({
  ONEROSTER_BASE_URL: url.optional(),
  ONEROSTER_TOKEN_URL: url.optional(),
  ONEROSTER_CLIENT_ID: text.optional(),
  ONEROSTER_CLIENT_SECRET: text.optional(),
  ONEROSTER_SCOPE: text.optional(),
});

/** Every variable the command reads, with what it is for (for --help). */
export const CONFORMANCE_ENV: Record<keyof z.infer<typeof EnvSchema>, string> = {
  ONEROSTER_BASE_URL: "provider base URL (…/ims/oneroster/v1p1); --base-url wins",
  ONEROSTER_TOKEN_URL: "OAuth 2 token endpoint; --token-url wins",
  ONEROSTER_CLIENT_ID: "OAuth 2 client id; --client-id wins",
  ONEROSTER_CLIENT_SECRET: "OAuth 2 client secret (never printed)",
  ONEROSTER_SCOPE: "space-separated scopes to request; --scope wins",
};

export interface ConformanceEnv {
  baseUrl?: string;
  tokenUrl?: string;
  clientId?: string;
  clientSecret?: string;
  scope?: string;
}

/** Parses the variables; `problems` names each bad one (never its value: one of them is a secret). */
export function readConformanceEnv(env: Record<string, string | undefined> = process.env): {
  env?: ConformanceEnv;
  problems: string[];
} {
  const picked = Object.fromEntries(
    Object.keys(CONFORMANCE_ENV).map((k) => [k, env[k] === "" ? undefined : env[k]]),
  ) as Record<string, string | undefined>;
  const parsed = EnvSchema.safeParse(picked);
  if (!parsed.success) {
    return { problems: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) };
  }
  const e = parsed.data;
  return {
    env: {
      ...(e.ONEROSTER_BASE_URL ? { baseUrl: e.ONEROSTER_BASE_URL } : {}),
      ...(e.ONEROSTER_TOKEN_URL ? { tokenUrl: e.ONEROSTER_TOKEN_URL } : {}),
      ...(e.ONEROSTER_CLIENT_ID ? { clientId: e.ONEROSTER_CLIENT_ID } : {}),
      ...(e.ONEROSTER_CLIENT_SECRET ? { clientSecret: e.ONEROSTER_CLIENT_SECRET } : {}),
      ...(e.ONEROSTER_SCOPE ? { scope: e.ONEROSTER_SCOPE } : {}),
    },
    problems: [],
  };
}
