// Debian's Chromium, driven through playwright-core (which downloads no browser), with the flags
// a closed network needs. A test skips without it, except under CI, where it fails instead.
import { existsSync } from "node:fs";

export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync"];
export const chromiumSkip = !existsSync(CHROMIUM) && !process.env.CI;
export const chromiumReason = `${CHROMIUM} is absent (apt-get install chromium); under CI this fails instead`;
