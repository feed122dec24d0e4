import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`), or the one `CHROMIUM_PATH` names. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Whether a Chromium is installed where {@link launchChromium} looks for it. */
export const hasChromium = (): boolean => existsSync(CHROMIUM_PATH);

/**
 * Starts headless Chromium (Playwright gives it a fresh, temporary profile). The flags keep it off the network
 * (this machine's is closed: background services would fail at every start) and off
 * the GPU; `--no-sandbox` because CI runs as root.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}
