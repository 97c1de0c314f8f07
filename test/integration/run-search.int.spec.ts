import { gql, post, waitForProjection } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';

/**
 * searchRuns through the real GraphQL surface: every filter of the table below is answered by the server and by a
 * reference evaluator written here over the same runs (what was sent, and the times the server stamped), and the
 * two must name the same runs, whatever the page size; orderings match a sort made here; pages neither skip nor
 * repeat a run while new runs arrive.
 */
interface Sent {
  id: string;
  experiment: 0 | 1;
  name: string;
  status: 'running' | 'finished' | 'failed' | 'killed';
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, number>;
  createdAt: number;
  startTime: number;
  endTime: number | null;
}

const LRS = ['0.01', '0.001', '0.1', '1e-3', 'auto'];
const OPTIMIZERS = ['adam', 'sgd', 'AdamW'];
const TEAMS = ['vision', 'nlp', 'Vision', 'speech'];
const STATUSES = ['running', 'finished', 'failed', 'killed'] as const;
const RUNS = 30;

/** A small deterministic generator: the same runs every time, varied enough to tell filters apart. */
function pick<T>(values: readonly T[], i: number, salt: number): T {
  return values[(i * 7 + salt * 13 + ((i * salt) % 5)) % values.length];
}

function plan(i: number): Omit<Sent, 'id' | 'createdAt' | 'startTime' | 'endTime'> {
  const params: Record<string, string> = {};
  if (i % 6 !== 0) params.lr = pick(LRS, i, 1);
  if (i % 4 !== 1) params.optimizer = pick(OPTIMIZERS, i, 2);
  if (i % 5 !== 2) params.batch = String(16 * (1 + (i % 4)));
  if (i % 7 === 3) params['model.depth'] = String(i);
  const tags: Record<string, string> = {};
  if (i % 3 !== 2) tags.team = pick(TEAMS, i, 3);
  if (i % 8 === 5) tags['release note'] = `r${i}`;
  const metrics: Record<string, number> = {};
  if (i % 9 !== 4)
    metrics.acc = i === 7 ? NaN : i === 11 ? Infinity : Math.round(((i * 37) % 100) * 10) / 1000;
  if (i % 2 === 0) metrics.loss = Math.round(((i * 53) % 97) * 100) / 100;
  return {
    experiment: i % 4 === 3 ? 1 : 0,
    name: i % 10 === 0 ? `baseline ${i}` : `trial-${i}`,
    status: pick(STATUSES, i, 4),
    params,
    tags,
    metrics,
  };
}

const likeToRegExp = (pattern: string, flags = '') =>
  new RegExp(
    `^${[...pattern].map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')}$`,
    `s${flags}`,
  );

const numericParam = (value: string | undefined): number | null =>
  value === undefined || value.trim() === '' || !Number.isFinite(Number(value)) ? null : Number(value);

/** The reference: what each filter of the table means, written out by hand over the runs as sent. */
const CASES: [string, (run: Sent) => boolean][] = [
  ['metrics.acc > 0.5', (r) => 'acc' in r.metrics && r.metrics.acc > 0.5],
  ['metrics.acc >= 0.5', (r) => 'acc' in r.metrics && r.metrics.acc >= 0.5],
  ['metrics.acc < 0.3', (r) => 'acc' in r.metrics && r.metrics.acc < 0.3],
  ['metrics.acc <= 0.3', (r) => 'acc' in r.metrics && r.metrics.acc <= 0.3],
  ['metrics.acc = 0.37', (r) => r.metrics.acc === 0.37],
  ['metrics.acc != 0.37', (r) => 'acc' in r.metrics && r.metrics.acc !== 0.37],
  ['metrics.acc <> 0.37', (r) => 'acc' in r.metrics && r.metrics.acc !== 0.37],
  ['metrics.acc > 1e3', (r) => 'acc' in r.metrics && r.metrics.acc > 1000],
  ['metrics.acc IN (0.37, 0.74, 0.11)', (r) => [0.37, 0.74, 0.11].includes(r.metrics.acc)],
  ['metrics.acc NOT IN (0.37, 0.74)', (r) => 'acc' in r.metrics && ![0.37, 0.74].includes(r.metrics.acc)],
  ['metrics.acc IS NULL', (r) => !('acc' in r.metrics)],
  ['metrics.acc IS NOT NULL', (r) => 'acc' in r.metrics],
  ['metric.loss < 50', (r) => 'loss' in r.metrics && r.metrics.loss < 50],
  ['metrics.loss > -1 and metrics.acc > 0.2', (r) => 'loss' in r.metrics && r.metrics.acc > 0.2],
  ['metrics.missing > 0', () => false],
  ['metrics.acc < 1e16', (r) => 'acc' in r.metrics && r.metrics.acc < 1e16],
  ['metrics.acc < 1e400', (r) => 'acc' in r.metrics && r.metrics.acc < Infinity],
  ['params.batch IN (64, 18446744073709551615)', (r) => numericParam(r.params.batch) === 64],
  ['metrics.missing IS NULL', () => true],
  ["params.lr = '0.01'", (r) => r.params.lr === '0.01'],
  ["params.lr != '0.01'", (r) => 'lr' in r.params && r.params.lr !== '0.01'],
  ['params.lr = 0.001', (r) => numericParam(r.params.lr) === 0.001],
  ['params.lr < 0.05', (r) => (numericParam(r.params.lr) ?? Infinity) < 0.05],
  ['params.lr >= 0.01', (r) => (numericParam(r.params.lr) ?? -Infinity) >= 0.01],
  ["params.lr > '0.01'", (r) => 'lr' in r.params && r.params.lr > '0.01'],
  ["params.lr IN ('0.1', 'auto')", (r) => ['0.1', 'auto'].includes(r.params.lr)],
  ["params.lr NOT IN ('0.1', 'auto')", (r) => 'lr' in r.params && !['0.1', 'auto'].includes(r.params.lr)],
  ['params.lr IN (0.001, 0.1)', (r) => [0.001, 0.1].includes(numericParam(r.params.lr) ?? NaN)],
  [
    'params.lr NOT IN (0.001)',
    (r) => numericParam(r.params.lr) !== null && numericParam(r.params.lr) !== 0.001,
  ],
  ['params.lr IS NULL', (r) => !('lr' in r.params)],
  ['param.lr is not null', (r) => 'lr' in r.params],
  [
    "params.optimizer LIKE 'adam%'",
    (r) => 'optimizer' in r.params && likeToRegExp('adam%').test(r.params.optimizer),
  ],
  [
    "params.optimizer ILIKE 'adam%'",
    (r) => 'optimizer' in r.params && likeToRegExp('adam%', 'i').test(r.params.optimizer),
  ],
  [
    "params.optimizer LIKE '_gd'",
    (r) => 'optimizer' in r.params && likeToRegExp('_gd').test(r.params.optimizer),
  ],
  ['params.batch > 32', (r) => (numericParam(r.params.batch) ?? -Infinity) > 32],
  [
    'params.batch = 64 and params.optimizer = "sgd"',
    (r) => numericParam(r.params.batch) === 64 && r.params.optimizer === 'sgd',
  ],
  ['params.`model.depth` >= 10', (r) => (numericParam(r.params['model.depth']) ?? -Infinity) >= 10],
  ['params."model.depth" IS NOT NULL', (r) => 'model.depth' in r.params],
  [
    "parameters.optimizer = 'adam' OR params.optimizer = 'AdamW'",
    (r) => ['adam', 'AdamW'].includes(r.params.optimizer),
  ],
  ["tags.team = 'vision'", (r) => r.tags.team === 'vision'],
  ["tags.team != 'vision'", (r) => 'team' in r.tags && r.tags.team !== 'vision'],
  ["tags.team ILIKE 'vision'", (r) => 'team' in r.tags && r.tags.team.toLowerCase() === 'vision'],
  ["tags.team LIKE '%i%'", (r) => 'team' in r.tags && r.tags.team.includes('i')],
  ["tags.team IN ('nlp', 'speech')", (r) => ['nlp', 'speech'].includes(r.tags.team)],
  ["tags.team NOT IN ('nlp')", (r) => 'team' in r.tags && r.tags.team !== 'nlp'],
  ['tags.team IS NULL', (r) => !('team' in r.tags)],
  ['tag.`release note` IS NOT NULL', (r) => 'release note' in r.tags],
  ["tags.`release note` = 'r13'", (r) => r.tags['release note'] === 'r13'],
  ["attributes.status = 'FINISHED'", (r) => r.status === 'finished'],
  ["attributes.status != 'running'", (r) => r.status !== 'running'],
  ["attributes.status IN ('FAILED', 'KILLED')", (r) => ['failed', 'killed'].includes(r.status)],
  ["attributes.status NOT IN ('RUNNING')", (r) => r.status !== 'running'],
  ["attributes.run_name LIKE 'baseline%'", (r) => r.name.startsWith('baseline')],
  ["attr.name = 'trial-3'", (r) => r.name === 'trial-3'],
  ["attributes.name ILIKE 'TRIAL-1%'", (r) => r.name.toLowerCase().startsWith('trial-1')],
  ['attributes.end_time IS NULL', (r) => r.endTime === null],
  ['attributes.end_time IS NOT NULL', (r) => r.endTime !== null],
  ['attributes.status IS NULL', () => false],
  ["run.status = 'running' and metrics.acc > 0.1", (r) => r.status === 'running' && r.metrics.acc > 0.1],
  [
    "(tags.team = 'vision' or tags.team = 'nlp') and params.batch <= 32",
    (r) => ['vision', 'nlp'].includes(r.tags.team) && (numericParam(r.params.batch) ?? Infinity) <= 32,
  ],
  [
    "metrics.acc > 0.5 and params.lr = '0.01' and tags.team = 'vision' and attributes.status = 'FINISHED'",
    (r) =>
      r.metrics.acc > 0.5 && r.params.lr === '0.01' && r.tags.team === 'vision' && r.status === 'finished',
  ],
  [
    "metrics.acc IS NULL or metrics.acc < 0.2 or attributes.status = 'killed'",
    (r) => !('acc' in r.metrics) || r.metrics.acc < 0.2 || r.status === 'killed',
  ],
  [
    "  METRICS.acc>0.4   AND   PARAMS.optimizer='sgd'  ",
    (r) => r.metrics.acc > 0.4 && r.params.optimizer === 'sgd',
  ],
];

const SEARCH = `query ($experimentIds: [ID!], $filter: String, $orderBy: [String!], $first: Int, $after: String) {
  searchRuns(experimentIds: $experimentIds, filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    edges { cursor node { id } }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface Page {
  searchRuns: {
    edges: { cursor: string; node: { id: string } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

describe('searchRuns: filters, orderings and pages over GraphQL', () => {
  const runlog = useRunlog();
  const sent: Sent[] = [];
  const experimentIds: string[] = [];

  /** Every page of a search, `first` at a time; fails on a run seen twice. */
  async function allPages(variables: Record<string, unknown>, first: number, between?: () => Promise<void>) {
    const ids: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 100; page++) {
      const { searchRuns }: Page = await gql<Page>(runlog.base, SEARCH, {
        experimentIds,
        ...variables,
        first,
        after,
      });
      ids.push(...searchRuns.edges.map((edge) => edge.node.id));
      if (!searchRuns.pageInfo.hasNextPage) break;
      after = searchRuns.pageInfo.endCursor;
      await between?.();
    }
    expect(new Set(ids).size).toBe(ids.length);
    return ids;
  }

  beforeAll(async () => {
    for (const name of ['search-a', 'search-b']) {
      experimentIds.push(
        (await post<{ experimentId: string }>(runlog.base, '/api/v1/experiments', { name })).body
          .experimentId,
      );
    }
    for (let i = 0; i < RUNS; i++) {
      const planned = plan(i);
      const { body } = await post<{ runId: string }>(runlog.base, '/api/v1/runs', {
        experimentId: experimentIds[planned.experiment],
        name: planned.name,
      });
      const runId = body.runId;
      const write = async (path: string, payload: unknown) => {
        const answer = await post(runlog.base, `/api/v1/runs/${runId}/${path}`, payload);
        expect(answer.status).toBe(200);
      };
      if (Object.keys(planned.params).length > 0) await write('params', { params: planned.params });
      if (Object.keys(planned.tags).length > 0) await write('tags', { tags: planned.tags });
      const metrics = Object.entries(planned.metrics).map(([key, last]) => ({
        key,
        steps: [0, 1],
        values: [0.123, Number.isFinite(last) ? last : String(last)],
      }));
      if (metrics.length > 0) await write('metrics', { metrics });
      if (planned.status === 'finished') await write('finish', {});
      if (planned.status === 'failed') await write('fail', { reason: 'diverged' });
      if (planned.status === 'killed') await write('kill', {});
      sent.push({ ...planned, id: runId, createdAt: 0, startTime: 0, endTime: null });
    }
    await waitForProjection(runlog.base);
    type Stamped = {
      id: string;
      createdAt: number;
      startTime: number;
      endTime: number | null;
      status: string;
    };
    const stampedOf = async (experimentId: string) =>
      (
        await gql<{ runs: Stamped[] }>(
          runlog.base,
          `query ($id: ID) { runs(experimentId: $id, limit: 100) { id createdAt startTime endTime status } }`,
          { id: experimentId },
        )
      ).runs;
    const runs = await stampedOf(experimentIds[0]);
    const more = await stampedOf(experimentIds[1]);
    for (const stamped of [...runs, ...more]) {
      const run = sent.find((candidate) => candidate.id === stamped.id)!;
      expect(stamped.status).toBe(run.status);
      Object.assign(run, {
        createdAt: stamped.createdAt,
        startTime: stamped.startTime,
        endTime: stamped.endTime,
      });
    }
    expect(sent.every((run) => run.createdAt > 0)).toBe(true);
  }, 120_000);

  it(`names the same runs as the reference for each of ${CASES.length} filters, in pages of 7`, async () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
    // The runs tell the filters apart: most pick a proper, non-empty part of them.
    const proper = CASES.filter(([, holds]) => {
      const matched = sent.filter(holds).length;
      return matched > 0 && matched < sent.length;
    });
    expect(proper.length).toBeGreaterThanOrEqual(50);
    for (const [filter, holds] of CASES) {
      const expected = sent
        .filter(holds)
        .map((run) => run.id)
        .sort();
      const got = (await allPages({ filter }, 7)).sort();
      expect({ filter, runs: got }).toEqual({ filter, runs: expected });
    }
  });

  it("lists every run's params, tags and metrics in one request, each run with its own", async () => {
    type Listed = {
      id: string;
      params: { key: string; value: string }[];
      tags: { key: string; value: string }[];
      metrics: { key: string; last: number | string }[];
    };
    const { runs } = await gql<{ runs: Listed[] }>(
      runlog.base,
      `query ($id: ID) { runs(experimentId: $id, limit: 1000) { id params { key value } tags { key value } metrics { key last } } }`,
      { id: experimentIds[0] },
    );
    const planned = sent.filter((run) => run.experiment === 0);
    expect(runs.map((run) => run.id).sort()).toEqual(planned.map((run) => run.id).sort());
    const pairs = (values: Record<string, string>) =>
      Object.entries(values)
        .map(([key, value]) => ({ key, value }))
        .sort((a, b) => (a.key < b.key ? -1 : 1));
    for (const run of runs) {
      const expected = planned.find((candidate) => candidate.id === run.id)!;
      expect(run.params).toEqual(pairs(expected.params));
      expect(run.tags).toEqual(pairs(expected.tags));
      expect(Object.fromEntries(run.metrics.map((m) => [m.key, Number(m.last)]))).toEqual(expected.metrics);
    }
  });

  it('scopes to the experiments named', async () => {
    const got = await allPages({ experimentIds: [experimentIds[1]], filter: 'metrics.acc IS NOT NULL' }, 50);
    expect(got.sort()).toEqual(
      sent
        .filter((run) => run.experiment === 1 && 'acc' in run.metrics)
        .map((run) => run.id)
        .sort(),
    );
  });

  it('answers runs(experimentId, filter, orderBy, limit) as the first page of the same search', async () => {
    for (const [filter, orderBy] of [
      ["params.optimizer = 'adam' and metrics.acc > 0.2", ['metrics.acc DESC']],
      ['tags.team IS NULL', ['params.lr', 'attributes.name DESC']],
      ['metrics.loss < 40', undefined],
    ] as const) {
      const variables = { experimentId: experimentIds[0], filter, orderBy };
      const { runs } = await gql<{ runs: { id: string }[] }>(
        runlog.base,
        `query ($experimentId: ID, $filter: String, $orderBy: [String!]) {
          runs(experimentId: $experimentId, filter: $filter, orderBy: $orderBy, limit: 5) { id } }`,
        variables,
      );
      const { searchRuns } = await gql<Page>(runlog.base, SEARCH, {
        experimentIds: [experimentIds[0]],
        filter,
        orderBy,
        first: 5,
      });
      expect(runs.map((run) => run.id)).toEqual(searchRuns.edges.map((edge) => edge.node.id));
      expect(runs.length).toBeGreaterThan(0);
    }
    const response = await fetch(`${runlog.base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ runs(parentRunId: "p", filter: "metrics.acc > 0") { id } }' }),
    });
    const { errors } = (await response.json()) as { errors: { extensions: Record<string, string> }[] };
    expect(errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'parentRunId' });
  });

  it('orders by a metric, a numeric param and an attribute, nulls last, then newest first', async () => {
    const tieBreak = (a: Sent, b: Sent) =>
      b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    const nullsLast = (a: number | null, b: number | null, descending: boolean) =>
      a === null ? (b === null ? 0 : 1) : b === null ? -1 : descending ? b - a : a - b;
    const acc = (run: Sent) =>
      'acc' in run.metrics && !Number.isNaN(run.metrics.acc) ? run.metrics.acc : null;
    const byAcc = [...sent].sort((a, b) => nullsLast(acc(a), acc(b), true) || tieBreak(a, b));
    expect(await allPages({ orderBy: ['metrics.acc DESC'] }, 1)).toEqual(byAcc.map((run) => run.id));

    const batch = (run: Sent) => numericParam(run.params.batch);
    const byBatch = [...sent].sort((a, b) => nullsLast(batch(a), batch(b), false) || tieBreak(a, b));
    expect(await allPages({ orderBy: ['params.batch'] }, 6)).toEqual(byBatch.map((run) => run.id));

    const byName = [...sent].sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : tieBreak(a, b)));
    expect(await allPages({ orderBy: ['attributes.name DESC'] }, 9)).toEqual(byName.map((run) => run.id));
  });

  describe('ranking', () => {
    const tieBreak = (a: Sent, b: Sent) =>
      b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    const finite = (values: number[]) => values.filter((value) => Number.isFinite(value));
    /** A run's value of acc as each mode reads it: both points of the series (0.123, then the last). */
    const valueOf = (run: Sent, mode: 'MIN' | 'MAX' | 'LAST'): number | null => {
      const last = run.metrics.acc;
      if (mode === 'LAST') return Number.isNaN(last) ? null : last;
      const values = finite([0.123, last]);
      return values.length === 0 ? null : mode === 'MIN' ? Math.min(...values) : Math.max(...values);
    };
    const ranked = (mode: 'MIN' | 'MAX' | 'LAST', lowestFirst: boolean) =>
      sent
        .filter((run) => 'acc' in run.metrics)
        .sort((a, b) => {
          const [x, y] = [valueOf(a, mode), valueOf(b, mode)];
          if (x === null || y === null) return x === y ? tieBreak(a, b) : x === null ? 1 : -1;
          return (lowestFirst ? x - y : y - x) || tieBreak(a, b);
        });
    const TOP = `query ($experimentIds: [ID!], $mode: RankMode!, $k: Int, $lowestFirst: Boolean, $filter: String) {
      topRuns(experimentIds: $experimentIds, metric: "acc", mode: $mode, k: $k, lowestFirst: $lowestFirst, filter: $filter) { value run { id } }
    }`;

    it.each([
      ['MAX', undefined, false],
      ['MIN', undefined, true],
      ['LAST', undefined, false],
      ['LAST', true, true],
    ] as const)(
      'topRuns by %s (lowestFirst %s) names the k best runs with their values',
      async (mode, lowestFirst, lowest) => {
        const { topRuns } = await gql<{ topRuns: { value: number | null; run: { id: string } }[] }>(
          runlog.base,
          TOP,
          {
            experimentIds,
            mode,
            k: 6,
            lowestFirst,
          },
        );
        const expected = ranked(mode, lowest).slice(0, 6);
        expect(topRuns.map((entry) => entry.run.id)).toEqual(expected.map((run) => run.id));
        // ±Infinity travel as the strings the metric value scalar writes.
        expect(topRuns.map((entry) => (entry.value === null ? null : Number(entry.value)))).toEqual(
          expected.map((run) => valueOf(run, mode)),
        );
      },
    );

    it('topRuns takes a filter', async () => {
      const { topRuns } = await gql<{ topRuns: { run: { id: string } }[] }>(runlog.base, TOP, {
        experimentIds,
        mode: 'LAST',
        k: 100,
        filter: "tags.team = 'vision'",
      });
      const expected = ranked('LAST', false).filter((run) => run.tags.team === 'vision');
      expect(topRuns.map((entry) => entry.run.id)).toEqual(expected.map((run) => run.id));
    });

    it.each([
      ['tags.team', (run: Sent) => run.tags.team],
      ['params.optimizer', (run: Sent) => run.params.optimizer],
      ['attributes.status', (run: Sent) => run.status],
    ])(
      'bestRunPerGroup by %s names the best run of each group, best groups first',
      async (groupBy, groupOf) => {
        const { bestRunPerGroup } = await gql<{
          bestRunPerGroup: { group: string; value: number | null; run: { id: string } }[];
        }>(
          runlog.base,
          `query ($experimentIds: [ID!], $groupBy: String!) {
          bestRunPerGroup(experimentIds: $experimentIds, metric: "acc", mode: LAST, groupBy: $groupBy) { group value run { id } }
        }`,
          { experimentIds, groupBy },
        );
        const seen = new Set<string>();
        const expected = ranked('LAST', false).filter((run) => {
          const group = groupOf(run);
          if (group === undefined || seen.has(group)) return false;
          seen.add(group);
          return true;
        });
        expect(bestRunPerGroup.map(({ group, run }) => [group, run.id])).toEqual(
          expected.map((run) => [groupOf(run), run.id]),
        );
        expect(bestRunPerGroup.length).toBeGreaterThan(1);
      },
    );

    it('refuses to group by a metric, naming groupBy', async () => {
      const response = await fetch(`${runlog.base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: `{ bestRunPerGroup(experimentIds: ["${experimentIds[0]}"], metric: "acc", groupBy: "metrics.loss") { group } }`,
        }),
      });
      const { errors } = (await response.json()) as { errors: { extensions: Record<string, string> }[] };
      expect(errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'groupBy' });
    });
  });

  it('compares runs side by side, a value per run in the order asked, flagging what differs', async () => {
    const [a, b] = [sent[1], sent[2]];
    const context = (commit: string) => ({ code: { commit }, hardware: { cpuCount: 8 } });
    // In an experiment of their own: the other tests' experiments hold exactly the runs they planned.
    const { experimentId } = (
      await post<{ experimentId: string }>(runlog.base, '/api/v1/experiments', { name: 'search-ctx' })
    ).body;
    const withContext = async (commit: string) =>
      (
        await post<{ runId: string }>(runlog.base, '/api/v1/runs', {
          experimentId,
          name: `ctx-${commit}`,
          context: context(commit),
        })
      ).body.runId;
    const [c1, c2] = [await withContext('abc1234'), await withContext('def5678')];
    const digest = 'sha256-0123';
    expect(
      (await post(runlog.base, `/api/v1/runs/${c1}/inputs`, { inputs: [{ name: 'train', digest }] })).status,
    ).toBe(200);
    await waitForProjection(runlog.base);
    type Comparison = {
      runs: { id: string }[];
      rows: { section: string; key: string; values: (string | null)[]; differs: boolean }[];
    };
    const { compareRuns } = await gql<{ compareRuns: Comparison }>(
      runlog.base,
      `query ($ids: [ID!]!) { compareRuns(ids: $ids) { runs { id } rows { section key values differs } } }`,
      { ids: [b.id, a.id, 'no-such-run', b.id] },
    );
    expect(compareRuns.runs.map((run) => run.id)).toEqual([b.id, a.id]);
    const row = (section: string, key: string) =>
      compareRuns.rows.find((r) => r.section === section && r.key === key);
    for (const key of new Set([...Object.keys(a.params), ...Object.keys(b.params)])) {
      const values = [b.params[key] ?? null, a.params[key] ?? null];
      expect(row('param', key)).toEqual({ section: 'param', key, values, differs: values[0] !== values[1] });
    }
    for (const key of new Set([...Object.keys(a.metrics), ...Object.keys(b.metrics)])) {
      const values = [b, a].map((run) => (key in run.metrics ? String(run.metrics[key]) : null));
      expect(row('metric', key)).toMatchObject({ values, differs: values[0] !== values[1] });
    }
    expect(row('attribute', 'status')).toMatchObject({ values: [b.status, a.status] });

    const { compareRuns: contexts } = await gql<{ compareRuns: Comparison }>(
      runlog.base,
      `query ($ids: [ID!]!) { compareRuns(ids: $ids) { rows { section key values differs } } }`,
      { ids: [c1, c2] },
    );
    const rows = contexts.rows.filter((r) => r.section === 'context' || r.section === 'input');
    expect(rows).toEqual([
      { section: 'context', key: 'code.commit', values: ['abc1234', 'def5678'], differs: true },
      { section: 'context', key: 'hardware.cpuCount', values: ['8', '8'], differs: false },
      { section: 'input', key: 'train', values: [digest, null], differs: true },
    ]);
  });

  it('neither skips nor repeats a run while new runs arrive between pages', async () => {
    const before = sent.map((run) => run.id);
    let added = 0;
    const seen = await allPages({}, 4, async () => {
      await post(runlog.base, '/api/v1/runs', { experimentId: experimentIds[0], name: `late-${added++}` });
      await waitForProjection(runlog.base);
    });
    expect(added).toBeGreaterThan(3);
    for (const id of before) expect(seen).toContain(id);
  });

  it.each([
    ['metrics.acc >', 'filter', /column 14, expected a quoted string or a number/, 14],
    ['metrics.acc > 0.5 and', 'filter', /column 22/, 22],
    ['score > 1', 'filter', /column 1, expected/, 1],
    ["metrics.acc = 'high'", 'filter', /metrics\.acc is compared with numbers/, undefined],
    ['tags.team = 3', 'filter', /tags\.team is compared with quoted text/, undefined],
    ["attributes.colour = 'red'", 'filter', /attributes\.colour is not an attribute/, undefined],
    [
      "metrics.acc LIKE '1%'",
      'filter',
      /metrics\.acc is compared with numbers|LIKE compares text/,
      undefined,
    ],
  ])('refuses the filter %j with BAD_USER_INPUT naming %s', async (filter, field, message, column) => {
    const response = await fetch(`${runlog.base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: SEARCH, variables: { experimentIds, filter } }),
    });
    const { errors } = (await response.json()) as {
      errors: { message: string; extensions: { code: string; field: string } }[];
    };
    expect(errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(errors[0].message).toMatch(message);
    // A syntax error also names its column apart, for a page to point at it.
    if (column !== undefined)
      expect(errors[0].extensions).toMatchObject({ column, expected: expect.any(Array) });
  });

  it('refuses an ordering it cannot make, and a cursor it did not give', async () => {
    const ask = async (variables: Record<string, unknown>) => {
      const response = await fetch(`${runlog.base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: SEARCH, variables: { experimentIds, ...variables } }),
      });
      return ((await response.json()) as { errors: { extensions: { field: string } }[] }).errors[0]
        .extensions;
    };
    expect(await ask({ orderBy: ['metrics.acc sideways'] })).toMatchObject({ field: 'orderBy[0]' });
    expect(await ask({ orderBy: ['attributes.constructor'] })).toMatchObject({ field: 'orderBy' });
    expect(await ask({ orderBy: Array.from({ length: 6 }, () => 'metrics.acc') })).toMatchObject({
      field: 'orderBy',
    });
    expect(await ask({ after: 'bm90IGEgY3Vyc29y' })).toMatchObject({ field: 'after' });
    const { searchRuns } = await gql<Page>(runlog.base, SEARCH, { experimentIds, first: 1 });
    expect(await ask({ orderBy: ['metrics.acc'], after: searchRuns.pageInfo.endCursor })).toMatchObject({
      field: 'after',
    });
  });
});
