/**
 * Debian's Chromium driven by playwright-core, with the flags this machine needs (no network, no sandbox).
 */
import { type Browser, chromium } from 'playwright-core';

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
