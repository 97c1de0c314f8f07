import type { Browser, Page } from 'playwright-core';
import { RunlogClient, type Run } from '../../libs/sdk/src/runlog';
import { launchBrowser, openPage, waitForChart } from '../support/browser';
import { screenshot } from '../support/browser-screenshots';
import { post, waitForProjection } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';

/**
 * The dashboard in headless Chromium against a real server: runs logged through the SDK, then looked at the way a
 * person does (filter, sort, select, chart, follow, compare, the registry as of a past instant).
 */
const STEPS = 1000;
/** The spiky run logs this many points, so its chart is downsampled for sure. */
const SPIKY_STEPS = 20_000;
const SPIKE = 1000;

describe('the dashboard', () => {
  const runlog = useRunlog();
  let browser: Browser;
  let client: RunlogClient;
  const runs: { id: string; name: string; optimizer: string; lr: number; finalLoss: number }[] = [];
  let experimentId = '';

  let sweepId = '';

  beforeAll(async () => {
    browser = await launchBrowser();
    client = new RunlogClient({ baseUrl: runlog.base, flushOnExit: false, flushEveryPoints: 5000 });
    const vision = await post<{ experimentId: string }>(runlog.base, '/api/v1/experiments', {
      name: 'vision',
      getOrCreate: true,
    });
    sweepId = (
      await post<{ sweepId: string }>(runlog.base, '/api/v1/sweeps', {
        experimentId: vision.body.experimentId,
        name: 'lr-sweep',
        searchSpace: { lr: { min: 0.001, max: 0.012 } },
        objective: { metric: 'loss', goal: 'minimize' },
      })
    ).body.sweepId;
    for (let i = 0; i < 12; i++) {
      const optimizer = i % 2 === 0 ? 'adam' : 'sgd';
      const lr = 0.001 * (i + 1);
      const name = `trial-${String(i).padStart(2, '0')}`;
      const run = await client.startRun({
        experimentName: 'vision',
        name,
        params: { optimizer, lr },
        tags: { team: i < 6 ? 'red' : 'blue' },
        sweepId,
        captureContext: false,
      });
      const steps = i === 0 ? SPIKY_STEPS : STEPS;
      const decay = 1 + i / 4;
      for (let step = 0; step < steps; step++) {
        // Run 0 carries one spike far above every other value: it must survive downsampling.
        const loss = i === 0 && step === Math.floor(steps / 2) ? SPIKE : 1 / (1 + (decay * step) / 100);
        await run.log({ loss, accuracy: 1 - loss / 2 }, step);
      }
      // The registry's test registers a model from this run's artifact (uploads end with the run).
      if (i === 1) {
        await run.logArtifact('model/weights.bin', Buffer.from('weights'));
        await logMedia(run);
      }
      await run.finish();
      runs.push({ id: run.runId, name, optimizer, lr, finalLoss: 1 / (1 + (decay * (steps - 1)) / 100) });
    }
    await client.flush();
    await waitForProjection(runlog.base);
    experimentId = (
      (await (
        await fetch(`${runlog.base}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: `{ run(id: "${runs[0].id}") { experimentId } }` }),
        })
      ).json()) as { data: { run: { experimentId: string } } }
    ).data.run.experimentId;
  }, 300_000);

  afterAll(async () => {
    await client?.close();
    await browser?.close();
  });

  /** Images (real PNGs, drawn by the browser), histograms and tables at a few steps, as a training loop logs them. */
  async function logMedia(run: Run): Promise<void> {
    const painter = await (await browser.newContext()).newPage();
    for (const [step, color] of [
      [0, '#d55e00'],
      [1, '#e69f00'],
      [2, '#009e73'],
    ] as const) {
      await painter.setContent(`<div style="width:48px;height:48px;background:${color}"></div>`);
      await run.logImage(
        'val/predictions',
        step,
        await painter.screenshot({ clip: { x: 8, y: 8, width: 48, height: 48 } }),
      );
    }
    await painter.context().close();
    for (let step = 0; step < 5; step++) {
      const values = Array.from({ length: 500 }, (_, i) => Math.sin(i) * (1 + step) + step);
      await run.logHistogram('weights/layer1', step * 100, values, 20);
    }
    for (const step of [0, 400]) {
      await run.logTable('samples', step, {
        columns: ['input', 'label', 'predicted'],
        rows: [[`image-${step}`, 'cat', step === 0 ? 'dog' : 'cat']],
      });
    }
  }

  async function open(query: string): Promise<{ page: Page; problems: string[] }> {
    const opened = await openPage(browser, runlog.base);
    await opened.page.goto(`${runlog.base}/${query}`);
    return opened;
  }

  const countOf = async (page: Page) => (await page.getByTestId('run-count').textContent()) ?? '';

  /** Waits until the address bar's query has `name` = `value` (the view wrote its state there). */
  async function untilQuery(page: Page, name: string, value: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (new URL(page.url()).searchParams.get(name) !== value) {
      if (Date.now() > deadline) throw new Error(`${name} is not ${value} in ${page.url()}`);
      await page.waitForTimeout(50);
    }
  }

  it('lists the runs, filters them with the search grammar, shows a refusal where it is, sorts by a column', async () => {
    const { page, problems } = await open(`?experiment=${experimentId}`);
    await page.getByText('12 runs').waitFor();
    await page.getByLabel('filter').fill("params.optimizer = 'adam'");
    await page.getByLabel('filter').press('Enter');
    await page.getByText('6 runs', { exact: true }).waitFor();
    expect(new URL(page.url()).searchParams.get('filter')).toBe("params.optimizer = 'adam'");

    await page.getByLabel('filter').fill('metrics.loss >');
    await page.getByLabel('filter').press('Enter');
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    // The caret stands under column 15, where a value was expected.
    expect(await refusal.locator('pre').textContent()).toBe(`metrics.loss >\n${' '.repeat(14)}^`);
    expect(await refusal.textContent()).toMatch(/column 15/);

    await page.getByLabel('filter').fill('');
    await page.getByLabel('filter').press('Enter');
    await page.getByText('12 runs').waitFor();
    await page.getByLabel('add column').selectOption('metrics.loss');
    await page.getByLabel('add column').selectOption('params.lr');
    await page.getByRole('button', { name: 'metrics.loss', exact: true }).click();
    await untilQuery(page, 'sort', 'metrics.loss ASC');
    const lowest = [...runs].sort((a, b) => a.finalLoss - b.finalLoss)[0];
    await page.locator('.scroller .row').first().locator(`text=${lowest.name}`).waitFor();
    await page
      .getByRole('button', { name: /metrics\.loss/ })
      .first()
      .click();
    await untilQuery(page, 'sort', 'metrics.loss DESC');
    const highest = [...runs].sort((a, b) => b.finalLoss - a.finalLoss)[0];
    await page.locator('.scroller .row').first().locator(`text=${highest.name}`).waitFor();
    expect(await countOf(page)).toMatch(/^12 runs/);
    expect(problems).toEqual([]);
  });

  it('overlays the selected runs, with a spike that downsampling keeps; the link shows the same view', async () => {
    const { page, problems } = await open(`?experiment=${experimentId}&columns=params.lr`);
    await page.getByText('12 runs').waitFor();
    for (const run of runs.slice(0, 3)) await page.getByLabel(`select ${run.name}`).check();
    await page.getByLabel('metrics').selectOption(['loss']);
    await untilQuery(page, 'keys', 'loss');
    const probe = await waitForChart(page, 'overlay:loss', (p) => p.lines === 3 && p.draws > 0);
    // The spiky run's 20,000 points came as buckets (fewer than it logged), and the spike is inside the y range.
    expect(probe.points).toBeLessThan(SPIKY_STEPS + 2 * STEPS);
    expect(probe.dataMax).toBe(SPIKE);
    expect(probe.yMax).toBeGreaterThanOrEqual(SPIKE);
    await screenshot(page, 'runs-table-and-overlay');

    // Log scale and smoothing are in the URL too; opening it again draws the same.
    await page.getByLabel('log scale').check();
    await untilQuery(page, 'log', '1');
    const shared = page.url();
    const again = await openPage(browser, runlog.base);
    await again.page.goto(shared);
    const same = await waitForChart(again.page, 'overlay:loss', (p) => p.lines === 3 && p.draws > 0);
    expect(same.yMax).toBeGreaterThanOrEqual(SPIKE);
    expect(await again.page.getByLabel('log scale').isChecked()).toBe(true);
    expect([...problems, ...again.problems]).toEqual([]);
  });

  it('zooms by asking the server again for the range, so the detail appears', async () => {
    const spiky = runs[0];
    const { page, problems } = await open(`?experiment=${experimentId}&selected=${spiky.id}&keys=loss`);
    const whole = await waitForChart(page, 'overlay:loss', (p) => p.lines === 1 && p.draws > 0);
    const middle = SPIKY_STEPS / 2;
    await page.goto(
      `${runlog.base}/?experiment=${experimentId}&selected=${spiky.id}&keys=loss&from=${middle - 200}&to=${middle + 200}`,
    );
    const zoomed = await waitForChart(
      page,
      'overlay:loss',
      (p) => p.lines === 1 && p.draws > 0 && (p.xMax ?? 0) <= middle + 200,
    );
    // 401 steps in view: every point of them, not the buckets of the whole run.
    expect(zoomed.points).toBe(401);
    expect(zoomed.dataMax).toBe(SPIKE);
    expect(zoomed.yMax).toBeGreaterThanOrEqual(SPIKE);
    expect(whole.points).toBeLessThan(SPIKY_STEPS);
    expect(problems).toEqual([]);
  });

  it('follows a live run through the subscription until it finishes', async () => {
    const run = await client.startRun({ experimentName: 'live', name: 'live-run', captureContext: false });
    await run.log({ loss: 1 }, 0);
    await client.flush();
    await waitForProjection(runlog.base);
    const { page, problems } = await open(`?selected=${run.runId}&keys=loss`);
    await page.locator(`.run-badges [data-run="${run.runId}"]`, { hasText: 'running' }).waitFor();
    await waitForChart(page, 'overlay:loss', (p) => p.lines === 1 && p.draws > 0);
    for (let step = 1; step <= 300; step++) {
      await run.log({ loss: 1 / (1 + step) }, step);
      if (step % 50 === 0) await client.flush();
    }
    await client.flush();
    await waitForChart(page, 'overlay:loss', (p) => p.xMax === 300);
    await run.finish();
    await page.locator(`.run-badges [data-run="${run.runId}"]`, { hasText: 'finished' }).waitFor();
    expect(problems).toEqual([]);
  });

  it('compares runs side by side, marking what differs', async () => {
    const [a, b] = runs;
    const { page, problems } = await open(`?page=compare&selected=${a.id}&selected=${b.id}`);
    await page.getByRole('heading', { name: 'Compare 2 runs' }).waitFor();
    const optimizer = page.locator('tr[data-key="param.optimizer"]');
    await optimizer.waitFor();
    expect(await optimizer.getAttribute('class')).toContain('differs');
    expect(await optimizer.locator('td').allTextContents()).toEqual([a.optimizer, b.optimizer]);
    await screenshot(page, 'compare');
    expect(problems).toEqual([]);
  });

  it('shows a sweep as parallel coordinates, with each param correlated with the objective', async () => {
    const { page, problems } = await open(`?page=compare&sweep=${sweepId}`);
    const plot = page.locator('canvas.parallel');
    await plot.waitFor();
    expect(await plot.getAttribute('data-lines')).toBe(String(runs.length));
    // lr and optimizer, then the objective.
    expect(await plot.getAttribute('data-axes')).toBe('3');
    // Higher lr decays faster here (but for the long spiky run): lr and the final loss go opposite ways.
    await page.locator('tr[data-param="lr"] td.number', { hasText: /^-0\.\d+$/ }).waitFor();
    await screenshot(page, 'sweep');
    expect(problems).toEqual([]);
  });

  it("shows a run's page: status, params, context, artifacts to download, its history", async () => {
    const run = runs[1];
    const { page, problems } = await open(`?page=run&run=${run.id}`);
    await page.getByRole('heading', { name: run.name }).waitFor();
    expect(await page.getByTestId('run-status').textContent()).toBe('finished');
    await page.locator('section.kv', { hasText: 'Params' }).getByText(run.optimizer).waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'model/weights.bin' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('weights.bin');
    const chunks: Buffer[] = [];
    for await (const chunk of (await download.createReadStream()) as AsyncIterable<Buffer>)
      chunks.push(chunk);
    expect(Buffer.concat(chunks).toString()).toBe('weights');
    await page.locator('table.history').getByText('run.finished').waitFor();
    await waitForChart(page, 'overlay:accuracy', (p) => p.lines === 1 && p.draws > 0);
    expect(problems).toEqual([]);
  });

  it("shows a run's images with a step slider, its histograms over steps, and its tables", async () => {
    const { page, problems } = await open(`?page=run&run=${runs[1].id}`);
    const images = page.locator('[data-media-key="val/predictions"]');
    // The last step first; the slider goes back to the first, and the image loads (it is a real PNG).
    await images.locator('img[data-step="2"]').waitFor();
    await images.getByLabel('val/predictions step').fill('0');
    const first = images.locator('img[data-step="0"]');
    await first.waitFor();
    await page.waitForFunction(
      (img) => (img as unknown as { naturalWidth: number }).naturalWidth === 48,
      await first.elementHandle(),
    );
    // It is step 0's picture (orange), not the last one's still shown while it loads.
    const pixel = await first.evaluate((element) => {
      type Canvas = {
        width: number;
        height: number;
        getContext(kind: '2d'): {
          drawImage(i: unknown, x: number, y: number): void;
          getImageData(x: number, y: number, w: number, h: number): { data: number[] };
        };
      };
      const image = element as unknown as {
        ownerDocument: { createElement(tag: 'canvas'): Canvas };
        naturalWidth: number;
      };
      const canvas = image.ownerDocument.createElement('canvas');
      canvas.width = 48;
      canvas.height = 48;
      const context = canvas.getContext('2d');
      context.drawImage(image, 0, 0);
      return [...context.getImageData(24, 24, 1, 1).data].slice(0, 3);
    });
    expect(pixel[0]).toBeGreaterThan(180);
    expect(pixel[1]).toBeLessThan(130);
    expect(pixel[2]).toBeLessThan(60);
    const histograms = page.locator('[data-media-key="weights/layer1"]');
    expect(await histograms.locator('canvas.histogram-heat').getAttribute('data-steps')).toBe('5');
    expect(await histograms.locator('canvas.histogram-bars').getAttribute('data-step')).toBe('400');
    const tables = page.locator('[data-media-key="samples"]');
    await tables.locator('table.media-table[data-step="400"]').getByText('image-400').waitFor();
    await tables.getByLabel('samples step').fill('0');
    await tables.locator('table.media-table[data-step="0"]').getByText('dog').waitFor();
    await page.locator('section.media').scrollIntoViewIfNeeded();
    await screenshot(page, 'media');
    expect(problems).toEqual([]);
  });

  it('shows a promotion made through the API in the registry, and the registry as it was before it', async () => {
    const source = runs[1];
    expect((await post(runlog.base, '/api/v1/models', { name: 'fraud' })).status).toBe(201);
    expect(
      (
        await post(runlog.base, '/api/v1/models/fraud/versions', {
          runId: source.id,
          artifactPath: 'model/weights.bin',
        })
      ).status,
    ).toBe(201);
    await waitForProjection(runlog.base);
    // The datetime picker has whole seconds: the instant before the promotion is a second before it.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const beforePromotion = Math.floor(Date.now() / 1000) * 1000;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const promoted = await post(runlog.base, '/api/v1/models/fraud/versions/1/stage', {
      stage: 'Production',
      reason: 'beats the baseline on the holdout set',
    });
    expect(promoted.status).toBe(200);
    await waitForProjection(runlog.base);

    const { page, problems } = await open('?page=registry&model=fraud');
    await page.getByTestId('stage-v1').getByText('Production').waitFor();
    await page.locator('table.promotions').getByText('beats the baseline on the holdout set').waitFor();
    await screenshot(page, 'registry');

    const local = await page.evaluate((epochMs) => {
      const date = new Date(epochMs);
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
    }, beforePromotion);
    await page.getByLabel('as of').fill(local);
    await page
      .getByTestId('as-of-note')
      .getByText(/events folded from the log, chain intact/)
      .waitFor();
    await page.getByTestId('stage-v1').getByText('None').waitFor();
    expect(await page.locator('table.promotions tbody tr').count()).toBe(0);
    expect(new URL(page.url()).searchParams.get('asOf')).toBe(String(beforePromotion));

    // The log verifies, and the result stays on the page (and in this browser) afterwards.
    await page.getByRole('button', { name: 'Verify the log' }).click();
    await page
      .getByTestId('audit')
      .getByText(/^verified: /)
      .waitFor();
    expect(problems).toEqual([]);
  });
});
