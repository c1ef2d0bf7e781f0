// matchEndpoint (server/faults/engine.ts), which names the operation of a request for fault presets and the request
// log: every endpoint of the table matches its own paths and no other, by method; HEAD reads as GET.
import { describe, expect, it } from "vitest";
import { ENDPOINTS, ONEROSTER_BASE_PATH } from "../../oneroster/index.js";
import { matchEndpoint } from "../../server/faults/engine.js";

const filled = (path: string) => path.replace(/\{(\w+)\}/g, (_, name: string) => `id-of-${name}`);

describe("matchEndpoint", () => {
  it.each(ENDPOINTS.map((e) => [`${e.method} ${e.path}`, e] as const))("matches %s to its operation", (_, endpoint) => {
    const path = `${ONEROSTER_BASE_PATH}${filled(endpoint.path)}`;
    expect(matchEndpoint(endpoint.method, path)?.endpoint.operationId).toBe(endpoint.operationId);
    expect(matchEndpoint(endpoint.method, `${path}/`)?.endpoint.operationId).toBe(endpoint.operationId);
    if (endpoint.method === "GET") {
      expect(matchEndpoint("HEAD", path)?.endpoint.operationId).toBe(endpoint.operationId);
    }
  });

  it("matches nothing outside the table: other methods, paths, prefixes", () => {
    expect(matchEndpoint("PATCH", `${ONEROSTER_BASE_PATH}/users`)).toBeUndefined();
    expect(matchEndpoint("GET", `${ONEROSTER_BASE_PATH}/nothing`)).toBeUndefined();
    expect(matchEndpoint("GET", `${ONEROSTER_BASE_PATH}`)).toBeUndefined();
    expect(matchEndpoint("GET", "/users")).toBeUndefined();
    expect(matchEndpoint("GET", `${ONEROSTER_BASE_PATH}/users/a/b/c/d`)).toBeUndefined();
    expect(matchEndpoint("DELETE", `${ONEROSTER_BASE_PATH}/users/x`)).toBeUndefined();
  });
});
