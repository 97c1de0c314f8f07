import { RunlogClient } from '../../libs/sdk/src/runlog';
import { gql, logEnd, post, waitForProjection } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';

/**
 * Rich media (issue 15): the SDK's logImage, logHistogram and logTable store content-addressed artifacts and name
 * them per key and step (`run.media_logged`); GraphQL lists them, and their bytes come back through the artifact
 * route. What the route refuses, it refuses by field, with nothing appended.
 */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAFklEQVR4nGP4z8DwHwyBNBOI8R/IAAB2BAj4zMjeVQAAAABJRU5ErkJggg==',
  'base64',
);

interface Media {
  key: string;
  step: number;
  kind: string;
  path: string;
  size: number;
  digest: string;
  contentType: string;
}

describe('run media', () => {
  const runlog = useRunlog();

  it('lists what the SDK logged by key and step, and serves its content back', async () => {
    const client = new RunlogClient({ baseUrl: runlog.base, flushOnExit: false });
    const run = await client.startRun({ experimentName: 'media', captureContext: false });
    for (const step of [0, 10, 20]) {
      await run.logImage('val/confusion', step, PNG);
      await run.logHistogram('weights/layer1', step, [step, step + 1, step + 1, step + 2], 3);
      await run.logTable('samples', step, {
        columns: ['input', 'label', 'p'],
        rows: [[`x${step}`, 'cat', 0.9]],
      });
    }
    // The same key and step again supersedes the first.
    await run.logTable('samples', 20, { columns: ['input', 'label', 'p'], rows: [['x20', 'dog', 0.4]] });
    await run.finish();
    await client.close();
    await waitForProjection(runlog.base);

    const { run: read } = await gql<{ run: { media: Media[] } }>(
      runlog.base,
      `{ run(id: "${run.runId}") { media { key step kind path size digest contentType } } }`,
    );
    expect(read.media.map((m) => [m.key, m.step, m.kind])).toEqual([
      ['samples', 0, 'table'],
      ['samples', 10, 'table'],
      ['samples', 20, 'table'],
      ['val/confusion', 0, 'image'],
      ['val/confusion', 10, 'image'],
      ['val/confusion', 20, 'image'],
      ['weights/layer1', 0, 'histogram'],
      ['weights/layer1', 10, 'histogram'],
      ['weights/layer1', 20, 'histogram'],
    ]);
    const image = read.media.find((m) => m.key === 'val/confusion')!;
    expect(image).toMatchObject({
      path: 'media/val/confusion/0.png',
      contentType: 'image/png',
      size: PNG.length,
    });
    // Content-addressed: the same bytes at three steps are one digest.
    expect(new Set(read.media.filter((m) => m.kind === 'image').map((m) => m.digest)).size).toBe(1);
    const bytes = async (path: string) =>
      Buffer.from(
        await (await fetch(`${runlog.base}/api/v1/runs/${run.runId}/artifacts/${path}`)).arrayBuffer(),
      );
    expect((await bytes(image.path)).equals(PNG)).toBe(true);
    const histogram = JSON.parse((await bytes('media/weights/layer1/10.json')).toString());
    expect(histogram).toEqual({ edges: [10, 10 + 2 / 3, 10 + 4 / 3, 12], counts: [1, 2, 1] });
    const table = JSON.parse((await bytes('media/samples/20.json')).toString());
    expect(table.rows).toEqual([['x20', 'dog', 0.4]]);

    const only = await gql<{ run: { media: Media[] } }>(
      runlog.base,
      `{ run(id: "${run.runId}") { media(kind: histogram) { key step } } }`,
    );
    expect(only.run.media).toHaveLength(3);
  });

  it('refuses media naming no artifact of the run, or past its bounds, by field, appending nothing', async () => {
    const client = new RunlogClient({ baseUrl: runlog.base, flushOnExit: false });
    const run = await client.startRun({ experimentName: 'media-refusals', captureContext: false });
    await run.logArtifact('media/ok/1.png', PNG, 'image/png');
    await client.flush();
    const route = `/api/v1/runs/${run.runId}/media`;
    const valid = { key: 'ok', step: 1, kind: 'image', path: 'media/ok/1.png' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...valid, path: 'media/missing.png' }, 'path'],
      [{ ...valid, key: '../up' }, 'key'],
      [{ ...valid, key: 'k'.repeat(251) }, 'key'],
      [{ ...valid, step: 1.5 }, 'step'],
      [{ ...valid, step: 2 ** 53 }, 'step'],
      [{ ...valid, kind: 'video' }, 'kind'],
      [{ ...valid, path: '' }, 'path'],
      [{ key: 'ok', step: 1, kind: 'image' }, 'path'],
      [{ ...valid, extra: 1 }, 'extra'],
    ];
    for (const [body, field] of cases) {
      const before = await logEnd(runlog.base);
      const answer = await post<{ field?: string; error?: string }>(runlog.base, route, body);
      expect([body, answer.status, answer.body.field]).toEqual([body, 400, field]);
      expect(await logEnd(runlog.base)).toBe(before);
    }
    expect((await post(runlog.base, route, valid)).status).toBe(200);
    await run.finish();
    // An ended run takes no more media, as it takes no more artifacts.
    expect((await post(runlog.base, route, valid)).status).toBe(409);
    await client.close();
  });
});
