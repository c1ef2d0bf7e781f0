// signAccessToken: the one place an access token is minted (ES256 JWT, RFC 9068 `at+jwt`). Used by the token
// endpoint and by the CLI to hand the conformance suite an already-expired token of its own local provider.
import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import type { ServerConfig } from "../config.js";
import type { TokenKeys } from "./keys.js";
import { ACCESS_TOKEN_TYP } from "./require-token.js";

export async function signAccessToken(
  keys: TokenKeys,
  config: Pick<ServerConfig, "issuer" | "audience" | "tokenTtlSeconds">,
  clientId: string,
  scope: string,
  issuedAt: Date,
): Promise<string> {
  const iat = Math.floor(issuedAt.getTime() / 1000);
  return new SignJWT({ client_id: clientId, scope })
    .setProtectedHeader({ alg: keys.alg, kid: keys.kid, typ: ACCESS_TOKEN_TYP })
    .setIssuer(config.issuer)
    .setAudience(config.audience)
    .setSubject(clientId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + config.tokenTtlSeconds)
    .setJti(randomUUID())
    .sign(keys.privateKey);
}
