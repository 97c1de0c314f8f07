import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/**
 * Screenshots the README shows: written to docs/screenshots by `npm run docs:screenshots` (RUNLOG_UPDATE_DOCS=1),
 * elsewhere to a scratch folder, so that a test run leaves the working tree as it found it.
 */
export const SCREENSHOTS =
  process.env.RUNLOG_UPDATE_DOCS === '1'
    ? join(__dirname, '..', '..', 'docs', 'screenshots')
    : join(tmpdir(), 'runlog-screenshots');

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}
