// The report of `latent analyze` opened in a real browser: Debian's headless Chromium, driven by
// playwright-core (no browser download). The page must load from a file:// URL, every <img>
// must decode, and neither the console nor the page may report an error (a CSP violation is a
// console error). Without /usr/bin/chromium the test is skipped, and fails under CI.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { latent } from "./support.js";
import { CHROMIUM as chromiumPath, CHROMIUM_ARGS, chromiumReason, chromiumSkip } from "../support/chromium.js";

const CHROMIUM = chromiumPath, ARGS = CHROMIUM_ARGS, skip = chromiumSkip, reason = chromiumReason;
if (skip) console.warn(`report-browser.test.ts skipped: ${reason}`);

const dir = mkdtempSync(join(tmpdir(), "latent-report-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("report.html in headless Chromium", () => {
  beforeAll(async () => {
    if (skip) return;
    const t = await latent("train", "--limit", "300", "--epochs", "1", "--hidden", "16", "--latent", "2", "--isa", "simd", "--threads", "1", "--out", join(dir, "run"));
    expect(t.err).toEqual([]);
    const a = await latent("analyze", "--model", join(dir, "run", "model.safetensors"), "--n", "60", "--isa", "simd", "--out", join(dir, "analysis"));
    expect(a.err).toEqual([]);
    expect(a.code).toBe(0);
  }, 60_000);

  it.skipIf(skip)(skip ? `skipped: ${reason}` : "loads from a file:// URL, every image decodes, and no error is reported", async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is needed under CI`).toBe(true);
    const context = await chromium.launchPersistentContext(mkdtempSync(join(dir, "profile-")), { executablePath: CHROMIUM, headless: true, args: ARGS });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
      page.on("pageerror", (e) => errors.push(`page: ${e.message}`));
      const url = pathToFileURL(join(dir, "analysis", "report.html")).href;
      const response = await page.goto(url, { waitUntil: "load" });
      expect(response === null || response.ok()).toBe(true);
      expect(await page.title()).toMatch(/^latent analyze: /);
      const images = await page.evaluate(() => Promise.all(Array.from(document.images, async (img) => {
        const decoded = await img.decode().then(() => true, () => false);
        return { alt: img.alt.slice(0, 40), decoded, complete: img.complete, width: img.naturalWidth };
      })));
      // the analysis's 11 pictures, retrieval.png, and the model's loss, samples, reconstructions, interpolation and manifold
      expect(images.length).toBe(17);
      for (const img of images) {
        expect(img.decoded && img.complete, img.alt).toBe(true);
        expect(img.width, img.alt).toBeGreaterThan(0);
      }
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
