import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium: playwright's own browser downloads cannot reach their hosts from a closed network. */
export const CHROMIUM = process.env.RUNLOG_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Installs Debian's chromium where it is missing, as the stack scripts fetch Kafka and MinIO: once per machine,
 * with progress on stderr. Only root can; elsewhere the error says what to install.
 */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `the browser tests need Chromium at ${CHROMIUM}: apt-get install chromium (or set RUNLOG_CHROMIUM)`,
    );
  }
  process.stderr.write('chromium: not installed; apt-get install chromium (once per machine)\n');
  const started = Date.now();
  const apt = (...args: string[]) =>
    execFileSync('apt-get', args, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  apt('update', '-qq');
  // fonts-liberation is only recommended, but without a font the screenshots have no text.
  apt('install', '-y', '-qq', '--no-install-recommends', 'chromium', 'fonts-liberation');
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium, but ${CHROMIUM} is not there`);
  process.stderr.write(`chromium: installed in ${Math.round((Date.now() - started) / 1000)} s\n`);
}

/**
 * Headless Chromium without the background traffic a closed network refuses (component updates, sync, QUIC):
 * the page under test is the only thing it talks to.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--enable-precise-memory-info',
    ],
  });
}

/** A page that fails its test on any script error or request to another host (the page must work offline). */
export async function openPage(browser: Browser, base: string): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  const origin = new URL(base).origin;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    problems.push(`request to another host: ${url}`);
    return route.abort();
  });
  return { page, problems };
}

/** What a chart last drew (services/dashboard/src/chart/chart-probe.ts). */
export interface ChartProbe {
  lines: number;
  points: number;
  yMin: number | null;
  yMax: number | null;
  xMax: number | null;
  dataMax: number | null;
  requestedAt: number;
  answeredAt: number;
  drawnAt: number;
  draws: number;
}

export async function chartProbe(page: Page, name: string): Promise<ChartProbe | null> {
  return page.evaluate(
    (chart) =>
      (globalThis as unknown as { __runlogCharts?: Record<string, ChartProbe> }).__runlogCharts?.[chart] ??
      null,
    name,
  );
}

/** Waits until the chart's probe satisfies `ready`, returning it. */
export async function waitForChart(
  page: Page,
  name: string,
  ready: (probe: ChartProbe) => boolean,
  timeoutMs = 30_000,
): Promise<ChartProbe> {
  const deadline = Date.now() + timeoutMs;
  let last: ChartProbe | null = null;
  for (;;) {
    last = await chartProbe(page, name);
    if (last && ready(last)) return last;
    if (Date.now() > deadline) throw new Error(`chart ${name} not ready: ${JSON.stringify(last)}`);
    await page.waitForTimeout(100);
  }
}
