// Client-secret hashing: scrypt hashes verify the right secret only, use a fresh salt each time, and unknown or
// unreadable stored hashes never verify.
import { describe, expect, it } from "vitest";
import { generateClientCredentials, hashSecret, verifySecret } from "../../server/auth/secrets.js";

describe("client secret hashing", () => {
  it("verifies the secret a hash was made from", async () => {
    const stored = await hashSecret("correct horse battery staple");
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(stored).not.toContain("correct horse");
    await expect(verifySecret("correct horse battery staple", stored)).resolves.toBe(true);
  });

  it("rejects a wrong secret, including one differing only in case or by a trailing space", async () => {
    const stored = await hashSecret("s3cret-value");
    await expect(verifySecret("s3cret-valuf", stored)).resolves.toBe(false);
    await expect(verifySecret("S3CRET-VALUE", stored)).resolves.toBe(false);
    await expect(verifySecret("s3cret-value ", stored)).resolves.toBe(false);
    await expect(verifySecret("", stored)).resolves.toBe(false);
  });

  it("salts every hash differently, so equal secrets give different hashes that both verify", async () => {
    const a = await hashSecret("same secret");
    const b = await hashSecret("same secret");
    expect(a).not.toBe(b);
    expect(a.split("$")[4]).not.toBe(b.split("$")[4]);
    await expect(verifySecret("same secret", a)).resolves.toBe(true);
    await expect(verifySecret("same secret", b)).resolves.toBe(true);
  });

  it("answers false for an unknown client (no stored hash) and for an unreadable stored value", async () => {
    await expect(verifySecret("anything", undefined)).resolves.toBe(false);
    await expect(verifySecret("anything", "not-a-hash")).resolves.toBe(false);
    await expect(verifySecret("anything", "scrypt$0$8$1$AAAA$BBBB")).resolves.toBe(false);
  });

  it("generates URL-safe, distinct client ids and secrets", () => {
    const one = generateClientCredentials();
    const two = generateClientCredentials();
    expect(one.clientId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(one.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(one.clientId).not.toBe(two.clientId);
    expect(one.clientSecret).not.toBe(two.clientSecret);
  });
});
