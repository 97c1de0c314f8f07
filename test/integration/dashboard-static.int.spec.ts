import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawHttp } from '../support/process-probes';
import { startRunlog, useRunlog } from '../support/runlog-process';

/** The gateway serves the built dashboard at `/`: public, cached by content hash, self-contained, and nothing more. */
describe('the dashboard as served', () => {
  const runlog = useRunlog({
    RUNLOG_AUTH: 'tokens',
    RUNLOG_BOOTSTRAP_TOKEN: randomBytes(32).toString('base64url'),
  });

  it('serves the page and its bundles without a credential, the API still asking for one', async () => {
    const page = await fetch(`${runlog.base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const html = await page.text();
    expect(html).toContain('<div id="app"></div>');
    const bundles = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]);
    expect(bundles.some((path) => path.endsWith('.js'))).toBe(true);
    expect(bundles.some((path) => path.endsWith('.css'))).toBe(true);
    for (const path of bundles) {
      const bundle = await fetch(`${runlog.base}${path}`);
      expect([path, bundle.status]).toEqual([path, 200]);
      expect(bundle.headers.get('cache-control')).toMatch(/immutable/);
      const text = await bundle.text();
      // Works offline: no font, script or style is fetched from elsewhere.
      expect([path, text.match(/(?:url\(|@import |src=|href=)["']?https?:\/\//g)]).toEqual([path, null]);
    }
    expect((await fetch(`${runlog.base}/index.html`)).status).toBe(200);
    expect(
      (
        await fetch(`${runlog.base}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"query":"{ whoami { principal } }"}',
        })
      ).status,
    ).toBe(401);
  });

  it('answers 404 for a bundle it does not have, and serves nothing outside its folder', async () => {
    expect((await fetch(`${runlog.base}/assets/missing.js`)).status).toBe(404);
    // dist/dashboard/assets is three folders below the repository, whose package.json is there to be read.
    for (const target of [
      '/assets/%2e%2e/%2e%2e/%2e%2e/package.json',
      '/assets/..%2f..%2f..%2fpackage.json',
      '/assets/../../../package.json',
      '/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json',
    ]) {
      const answer = await rawHttp(
        runlog.base,
        `GET ${target} HTTP/1.1\r\nHost: runlog\r\nConnection: close\r\n\r\n`,
      );
      expect([target, answer.split('\r\n')[0]]).toEqual([target, expect.not.stringContaining(' 200 ')]);
      expect([target, answer.includes('"name": "runlog"')]).toEqual([target, false]);
    }
  });

  it('is not served by a process without the gateway role', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'runlog-ingest-only-'));
    const ingest = await startRunlog(dataDir, { RUNLOG_ROLES: 'ingest' });
    try {
      expect((await fetch(`${ingest.base}/`)).status).toBe(404);
    } finally {
      await ingest.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
