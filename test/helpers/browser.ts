/**
 * Debian's Chromium driven by playwright-core, with the flags this machine needs (no network, no sandbox).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { ROOT } from './server.ts';

export const CHROMIUM = process.env.QOIMA_CHROMIUM ?? '/usr/bin/chromium';

/** `extraArgs`: more flags for one test (host resolver rules, certificate errors). */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

/** Where the console tests put screenshots of the main pages. */
export const SHOTS = join(ROOT, 'test/screenshots');

/** A full-page screenshot of `page` as test/screenshots/`name`.png. */
export async function shot(page: Page, name: string): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}
