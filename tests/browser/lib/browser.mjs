// Starts Debian's Chromium through playwright-core (no browser download, ever).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.SIPVAULT_CHROMIUM || '/usr/bin/chromium';

// Returns {context, close}: a fresh profile directory per launch, removed on close. `bypassCSP`
// makes the page ignore the server's Content-Security-Policy (to test the UI's own escaping).
export async function launchChromium({ bypassCSP = false } = {}) {
  const profile = mkdtempSync(path.join(tmpdir(), 'sipvault-chromium-'));
  // launchPersistentContext owns the --user-data-dir; it returns a context, not a browser.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    bypassCSP,
    viewport: { width: 1440, height: 900 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
