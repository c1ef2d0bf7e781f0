// The dashboard in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core, never a downloaded
// browser): every page loads behind the admin credential, every switch works, and a screenshot of each page is kept
// in reports/screenshots/. Plain HTTP checks cover the credential and the same-origin rule for forms.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testEnv } from "../setup/env.js";
import { describePrimaryDb } from "../support/each-db.js";
import { useSeededProvider } from "../support/seeded-provider.js";

const ADMIN = "admin-credential-for-tests-0123";
const CHROMIUM = "/usr/bin/chromium";
const SHOTS = join(process.cwd(), "reports", "screenshots");
const haveChromium = existsSync(CHROMIUM);

describePrimaryDb("the dashboard", (kind) => {
  const sp = useSeededProvider(kind, { config: { adminToken: ADMIN }, withDistrictClock: true });
  const basic = `Basic ${Buffer.from(`admin:${ADMIN}`).toString("base64")}`;

  it("needs the admin credential, and refuses forms posted from another site", async () => {
    expect((await fetch(`${sp.provider.origin}/dashboard`)).status).toBe(401);
    const wrong = await fetch(`${sp.provider.origin}/dashboard`, {
      headers: { authorization: `Basic ${Buffer.from("admin:nope").toString("base64")}` },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toMatch(/^Basic/);
    const ok = await fetch(`${sp.provider.origin}/dashboard`, { headers: { authorization: basic } });
    expect(ok.status).toBe(200);
    const forged = await fetch(`${sp.provider.origin}/dashboard/faults`, {
      method: "POST",
      headers: {
        authorization: basic,
        origin: "http://evil.example",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "preset=empty-feed",
      redirect: "manual",
    });
    expect(forged.status).toBe(403);
    const listing = await sp.api(`${sp.provider.origin}/admin/quirks`, { token: ADMIN });
    expect(listing.body.active).toEqual([]);
  });

  const inBrowser = haveChromium ? describe : testEnv.ci ? describe : describe.skip;
  inBrowser(`in headless Chromium${haveChromium ? "" : " — skipped: /usr/bin/chromium is not installed"}`, () => {
    let browser: Browser;
    let pageOf: Page;
    beforeAll(async () => {
      if (!haveChromium) {
        throw new Error(`CI needs Debian's chromium at ${CHROMIUM} (.ci/run installs it)`);
      }
      await mkdir(SHOTS, { recursive: true });
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
      const context = await browser.newContext({ httpCredentials: { username: "admin", password: ADMIN } });
      pageOf = await context.newPage();
      // Some traffic to show: a client with a fault of its own, and a few requests.
      const made = await sp.api(`${sp.provider.origin}/admin/clients`, {
        method: "POST",
        token: ADMIN,
        body: { clientId: "dash-lms", name: "dashboard LMS", faults: ["latency:ms=1"] },
      });
      expect(made.status).toBe(201);
      await sp.api("/orgs");
      await sp.api("/users?limit=5");
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    const visit = async (path: string, shot: string) => {
      const res = await pageOf.goto(`${sp.provider.origin}${path}`);
      expect(res?.status(), path).toBe(200);
      await pageOf.screenshot({ path: join(SHOTS, `${shot}.png`), fullPage: true });
      return pageOf;
    };

    it("loads every page and keeps a screenshot of each", async () => {
      const overview = await visit("/dashboard", "overview");
      expect(Number(await overview.textContent('[data-count="users"]'))).toBeGreaterThan(0);
      expect(await overview.textContent('[data-clock="seeded"]')).toBe("true");
      const clients = await visit("/dashboard/clients", "clients");
      expect(await clients.textContent('[data-client="dash-lms"]')).toContain("latency:ms=1");
      await visit("/dashboard/clients/dash-lms", "client");
      await visit(`/dashboard/clients/${sp.provider.clientId}/scorecard`, "scorecard");
      expect(await pageOf.locator("[data-verdict]").count()).toBe(8);
      const log = await visit("/dashboard/requests", "requests");
      expect(await log.textContent("#requests")).toContain("/ims/oneroster/v1p1/users");
      await visit("/dashboard/batches", "batches");
      await visit("/docs", "docs");
    });

    it("switches provider-wide faults on and off", async () => {
      await visit("/dashboard/clients", "clients");
      const form = pageOf.locator('form[data-form="provider"]');
      await form.locator("select").selectOption("no-total-count");
      await Promise.all([pageOf.waitForURL("**/dashboard/clients"), form.locator("button").click()]);
      expect(await pageOf.textContent("#provider-faults")).toContain("no-total-count");
      expect((await sp.api("/orgs")).headers.get("x-total-count")).toBeNull();
      await Promise.all([
        pageOf.waitForURL("**/dashboard/clients"),
        pageOf.locator('#provider-faults [data-off="no-total-count"]').click(),
      ]);
      expect(await pageOf.locator('#provider-faults [data-off="no-total-count"]').count()).toBe(0);
      expect((await sp.api("/orgs")).headers.get("x-total-count")).not.toBeNull();
    });

    it("switches a client's faults with parameters, and says what is wrong with bad ones", async () => {
      await visit("/dashboard/clients/dash-lms", "client");
      const form = pageOf.locator('form[data-form="client"]');
      await form.locator("select").selectOption("server-errors");
      await form.locator('input[name="params"]').fill("every=2,burst=1,status=502");
      await Promise.all([pageOf.waitForURL("**/dashboard/clients/dash-lms"), form.locator("button").click()]);
      expect(await pageOf.textContent("#client-faults")).toContain("server-errors:status=502,every=2,burst=1");
      const shown = await sp.api(`${sp.provider.origin}/admin/clients/dash-lms/faults`, { token: ADMIN });
      expect(shown.body.active).toContain("server-errors:status=502,every=2,burst=1");
      await pageOf.screenshot({ path: join(SHOTS, "client-with-faults.png"), fullPage: true });
      await Promise.all([
        pageOf.waitForURL("**/dashboard/clients/dash-lms"),
        pageOf.locator('#client-faults [data-off="server-errors"]').click(),
      ]);
      expect(await pageOf.locator('#client-faults [data-off="server-errors"]').count()).toBe(0);
      await form.locator("select").selectOption("latency");
      await form.locator('input[name="params"]').fill("ms=soon");
      const [answer] = await Promise.all([pageOf.waitForResponse(() => true), form.locator("button").click()]);
      expect(answer.status()).toBe(400);
      expect(await pageOf.textContent(".error")).toMatch(/latency: ms/);
    });

    it("advances the district clock", async () => {
      await visit("/dashboard", "overview");
      const before = Number(await pageOf.textContent('[data-clock="day"]'));
      const form = pageOf.locator('form[data-form="advance"]');
      await form.locator('input[name="days"]').fill("1");
      await Promise.all([pageOf.waitForURL("**/dashboard"), form.locator("button").click()]);
      expect(Number(await pageOf.textContent('[data-clock="day"]'))).toBe(before + 1);
      await pageOf.screenshot({ path: join(SHOTS, "overview-advanced.png"), fullPage: true });
    });
  });
});
