import fc from 'fast-check';
import { MAX_STORABLE_MILLIS, MIN_STORABLE_MILLIS } from '../../libs/events/src/storable';
import { createExperimentAndRun, gql, logEnd, post, waitForProjection } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';

/**
 * What the API accepts is what the projection stores: for each class of stored value, values at and beyond each edge
 * go through HTTP; every accepted one is read back through GraphQL once the projection has caught up, and every
 * refused one is a 400 naming the field (and only that: {error, message, field}) that appended nothing. An oracle
 * written from the rules decides which values are valid, so the API can neither refuse a storable value nor accept
 * one that is not. Runs are bounded (RUNS per class) so the suite stays well under a minute.
 */
const RUNS = 30;
const KEY = /^[A-Za-z0-9_\-./: ]{1,250}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const hasLoneSurrogate = (text: string) =>
  /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);

/** RFC 3339's date part names a real day (V8's Date.parse rolls 2024-02-30 over to March). */
function isCalendarDate(time: string): boolean {
  const date = /^(\d{4})-(\d{2})-(\d{2})[Tt ]/.exec(time);
  if (!date) return false;
  const day = new Date(`${date[1]}-${date[2]}-01T00:00:00Z`);
  day.setUTCDate(Number(date[3]));
  return day.getUTCMonth() + 1 === Number(date[2]);
}

/** A string, or one with a lone surrogate spliced in somewhere. */
const maybeBroken = (text: fc.Arbitrary<string>) =>
  fc.oneof(
    text,
    fc
      .tuple(text, LONE, fc.nat())
      .map(([t, lone, at]) => t.slice(0, at % (t.length + 1)) + lone + t.slice(at % (t.length + 1))),
  );

/** JSON number literals at and beyond the edges: doubles, huge and tiny exponents, non-numbers. */
const numberLiteral = (edges: number[]) =>
  fc.oneof(
    fc.double().map((n) => JSON.stringify(n)),
    fc.integer().map(String),
    fc.constantFrom(...edges.flatMap((n) => [n - 1, n, n + 1]).map(String)),
    fc.constantFrom('1e400', '-1e400', '1e-400', '-0', '9007199254740993', '0.5', '"1"', 'true', 'null'),
  );

interface Refusal {
  status: number;
  body: Record<string, unknown>;
}

describe('what the API accepts is what the projection stores', () => {
  const runlog = useRunlog();
  let runId = '';
  let experimentId = '';

  beforeAll(async () => {
    ({ runId, experimentId } = await createExperimentAndRun(runlog.base, 'storable'));
  });

  /** Sends a JSON text; a refusal must be a 400 naming one of `invalid`, shaped {error, message, field}, log unmoved. */
  async function sendCase(path: string, text: string, invalid: string[]) {
    const before = await logEnd(runlog.base);
    const response = await post<Record<string, unknown>>(runlog.base, path, text);
    if (invalid.length === 0) {
      expect({ text, status: response.status, body: response.body }).toMatchObject({
        status: expect.any(Number),
      });
      if (response.status >= 300)
        throw new Error(`refused a storable value ${text}: ${JSON.stringify(response.body)}`);
      return response.body;
    }
    const refusal: Refusal = response;
    if (refusal.status !== 400)
      throw new Error(`accepted or mis-answered ${text}: ${JSON.stringify(refusal)}`);
    expect(Object.keys(refusal.body).sort()).toEqual(['error', 'field', 'message']);
    expect(invalid).toContain(refusal.body.field);
    expect(await logEnd(runlog.base)).toBe(before);
    return null;
  }

  it('occurredAt: every time JavaScript reads within DateTime64 is stored to the millisecond; others are 400', async () => {
    const accepted: { id: string; millis: number }[] = [];
    const edges = [MIN_STORABLE_MILLIS, MAX_STORABLE_MILLIS, 0, 253402300799999];
    const occurredAt = fc.oneof(
      fc
        .integer({ min: MIN_STORABLE_MILLIS - 1e12, max: MAX_STORABLE_MILLIS + 1e12 })
        .map((ms) => new Date(ms).toISOString()),
      fc.constantFrom(...edges.flatMap((n) => [n - 1, n, n + 1])).map((ms) => new Date(ms).toISOString()),
      fc.constantFrom(
        '2016-12-31T23:59:60Z',
        '2016-12-31T23:59:60.999+00:00',
        '2024-02-30T00:00:00Z',
        '0000-01-01T00:00:00Z',
        '2024-01-01T00:00:00+01:00',
        '2024-01-01 00:00:00z',
        '2024-01-01T00:00:00.123456789Z',
        '+010000-01-01T00:00:00.000Z',
      ),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(occurredAt, async (time) => {
        const millis = Date.parse(time);
        const valid =
          isCalendarDate(time) &&
          !Number.isNaN(millis) &&
          millis >= MIN_STORABLE_MILLIS &&
          millis <= MAX_STORABLE_MILLIS;
        const text = JSON.stringify({ name: `when-${n++}`, occurredAt: time });
        const body = await sendCase('/api/v1/experiments', text, valid ? [] : ['occurredAt']);
        if (body) accepted.push({ id: String(body.experimentId), millis });
      }),
      { numRuns: RUNS },
    );
    await waitForProjection(runlog.base, 30_000);
    for (const { id, millis } of accepted) {
      const { experiment } = await gql<{ experiment: { createdAt: number } | null }>(
        runlog.base,
        'query ($id: ID!) { experiment(id: $id) { createdAt } }',
        { id },
      );
      expect({ id, createdAt: experiment?.createdAt }).toEqual({ id, createdAt: millis });
    }
  });

  it('metric steps, values and timestamps: every accepted point reads back as sent; others are 400', async () => {
    const accepted: { key: string; step: number; value: number | string; timestamp: number }[] = [];
    const step = numberLiteral([Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]);
    const value = fc.oneof(
      numberLiteral([Number.MAX_VALUE]),
      fc.constantFrom('"NaN"', '"Infinity"', '"-Infinity"', '"nan"'),
    );
    const timestamp = numberLiteral([0, MAX_STORABLE_MILLIS, 253402300799999, 1e9]);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(step, value, timestamp, async (s, v, t) => {
        const key = `p${n++}`;
        const [stepValue, pointValue, time] = [s, v, t].map((literal) => JSON.parse(literal) as unknown);
        const invalid: string[] = [];
        if (!Number.isSafeInteger(stepValue)) invalid.push('metrics[0].steps[0]');
        const finite = typeof pointValue === 'number' && Number.isFinite(pointValue);
        if (!finite && !['NaN', 'Infinity', '-Infinity'].includes(pointValue as string))
          invalid.push('metrics[0].values[0]');
        if (!Number.isInteger(time) || (time as number) < 0 || (time as number) > MAX_STORABLE_MILLIS)
          invalid.push('metrics[0].timestamps[0]');
        const text = `{"metrics":[{"key":"${key}","steps":[${s}],"values":[${v}],"timestamps":[${t}]}]}`;
        const body = await sendCase(`/api/v1/runs/${runId}/metrics`, text, invalid);
        if (body)
          accepted.push({
            key,
            step: stepValue as number,
            value: pointValue as number | string,
            timestamp: time as number,
          });
      }),
      { numRuns: RUNS },
    );
    await waitForProjection(runlog.base, 30_000);
    for (const point of accepted) {
      const { metricSeries } = await gql<{
        metricSeries: { points: { step: number; value: number | string; timestamp: number }[] };
      }>(
        runlog.base,
        'query ($runId: ID!, $key: String!) { metricSeries: runMetricSeries(runId: $runId, key: $key, maxPoints: 10) { points { step value timestamp } } }',
        { runId, key: point.key },
      );
      // -0 (a literal the API takes) is stored and read back as 0.
      const sent = {
        key: point.key,
        step: point.step === 0 ? 0 : point.step,
        value: point.value === 0 ? 0 : point.value,
        timestamp: point.timestamp === 0 ? 0 : point.timestamp,
      };
      expect(metricSeries.points.map((p) => ({ key: point.key, ...p }))).toEqual([sent]);
    }
  });

  it('eventIds: every spelling of a UUID is its canonical form (and addresses what defaults to it); others are 400', async () => {
    const accepted: string[] = [];
    const spellings = ['plain', 'upper', 'urn', 'URN', 'braces', 'bare', 'spaced'] as const;
    const spell = (uuid: string, how: (typeof spellings)[number]) =>
      ({
        plain: uuid,
        upper: uuid.toUpperCase(),
        urn: `urn:uuid:${uuid}`,
        URN: `URN:UUID:${uuid.toUpperCase()}`,
        braces: `{${uuid}}`,
        bare: uuid.replace(/-/g, ''),
        spaced: ` ${uuid}`,
      })[how];
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.uuid(), fc.constantFrom(...spellings), async (uuid, how) => {
        const valid = ['plain', 'upper', 'urn', 'URN'].includes(how);
        const text = JSON.stringify({ name: `id-${n++}`, eventId: spell(uuid, how) });
        const body = await sendCase('/api/v1/experiments', text, valid ? [] : ['eventId']);
        if (!body) return;
        expect({ experimentId: body.experimentId, eventIds: body.eventIds }).toEqual({
          experimentId: uuid.toLowerCase(),
          eventIds: [uuid.toLowerCase()],
        });
        accepted.push(uuid.toLowerCase());
        // The same request under another spelling of its id is a retry of it.
        const before = await logEnd(runlog.base);
        const retry = await post(runlog.base, '/api/v1/experiments', {
          ...JSON.parse(text),
          eventId: uuid.toUpperCase(),
        });
        expect(retry.body).toMatchObject({ appended: false, experimentId: uuid.toLowerCase() });
        expect(await logEnd(runlog.base)).toBe(before);
      }),
      { numRuns: RUNS },
    );
    await waitForProjection(runlog.base, 30_000);
    for (const id of accepted) {
      const { experiment } = await gql<{ experiment: { id: string } | null }>(
        runlog.base,
        'query ($id: ID!) { experiment(id: $id) { id } }',
        { id },
      );
      expect(experiment).toEqual({ id });
    }
  });

  it('names, tag keys and tag values in any unicode are stored as sent; a lone surrogate is a 400 naming the field', async () => {
    const tags: { key: string; value: string }[] = [];
    const names: { id: string; name: string }[] = [];
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        maybeBroken(fc.stringMatching(/^[A-Za-z0-9_\-./: ]{0,20}$/)),
        maybeBroken(text),
        maybeBroken(text),
        async (keyTail, value, name) => {
          const key = `k${n++}${keyTail}`;
          const invalid = [
            ...(KEY.test(key) ? [] : [`tags.${key}`]),
            ...(hasLoneSurrogate(value) ? [`tags.${key}`] : []),
          ];
          if (
            await sendCase(`/api/v1/runs/${runId}/tags`, JSON.stringify({ tags: { [key]: value } }), invalid)
          )
            tags.push({ key, value });
          const nameOk = !CONTROL.test(name) && !hasLoneSurrogate(name) && [...name].length <= 256;
          const created = await sendCase(
            '/api/v1/runs',
            JSON.stringify({ experimentId, name }),
            nameOk ? [] : ['name'],
          );
          if (created) names.push({ id: String(created.runId), name });
        },
      ),
      { numRuns: RUNS },
    );
    await waitForProjection(runlog.base, 30_000);
    const { run } = await gql<{ run: { tags: { key: string; value: string }[] } }>(
      runlog.base,
      'query ($id: ID!) { run(id: $id) { tags { key value } } }',
      { id: runId },
    );
    for (const tag of tags) expect(run.tags).toContainEqual(tag);
    for (const { id, name } of names) {
      const read = await gql<{ run: { name: string } | null }>(
        runlog.base,
        'query ($id: ID!) { run(id: $id) { name } }',
        { id },
      );
      expect({ id, name: read.run?.name }).toEqual({ id, name });
    }
  });

  it('param numbers: every finite JSON number is stored as its string; 1e400 and friends are 400 naming the param', async () => {
    const accepted: { key: string; value: string }[] = [];
    let n = 0;
    await fc.assert(
      fc.asyncProperty(numberLiteral([Number.MAX_VALUE, Number.MAX_SAFE_INTEGER]), async (literal) => {
        const key = `n${n++}`;
        const parsed = JSON.parse(literal) as unknown;
        const valid =
          (typeof parsed === 'number' && Number.isFinite(parsed)) ||
          typeof parsed === 'string' ||
          typeof parsed === 'boolean';
        const body = await sendCase(
          `/api/v1/runs/${runId}/params`,
          `{"params":{"${key}":${literal}}}`,
          valid ? [] : [`params.${key}`],
        );
        if (body) accepted.push({ key, value: String(parsed) });
      }),
      { numRuns: RUNS },
    );
    await waitForProjection(runlog.base, 30_000);
    const { run } = await gql<{ run: { params: { key: string; value: string }[] } }>(
      runlog.base,
      'query ($id: ID!) { run(id: $id) { params { key value } } }',
      { id: runId },
    );
    for (const param of accepted) expect(run.params).toContainEqual(param);
  });
});
