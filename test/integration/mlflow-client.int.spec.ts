import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { gql, logEnd, post, send } from '../support/runlog-client';
import { Bootstrap } from '../support/authz-fixtures';
import { runMlflowScript } from '../support/mlflow-python';
import { useRunlog } from '../support/runlog-process';

/**
 * MLflow's REST dialect (issue 16), driven by the unchanged, pinned MLflow Python client: what it logs comes back
 * through the same client value for value, and the same run reads the same through GraphQL.
 */
const SCRIPT = join(__dirname, 'mlflow', 'client_roundtrip.py');
const MODELS_SCRIPT = join(__dirname, 'mlflow', 'client_models.py');
const api = (path: string) => `/api/2.0/mlflow/${path}`;

interface Read {
  run_id: string;
  name: string;
  status: string;
  experiment_id: string;
  artifact_uri: string;
  params: Record<string, string>;
  metrics: Record<string, number | string>;
  tags: Record<string, string>;
  datasets: Record<string, unknown>[];
}
interface RoundTrip {
  experiment_id: string;
  by_name: string;
  parent: Read;
  child: Read;
  histories: Record<string, [number, number | string, number][]>;
  listed: [string, boolean][];
  listed_outputs: [string, boolean][];
  artifact: string;
  tree: Record<string, string>;
  searched: string[];
}

const asJson = (value: number) => (Number.isNaN(value) ? 'NaN' : value);

describe('MLflow dialect, through the mlflow client', () => {
  const runlog = useRunlog();

  it('logs runs, params, metrics, tags, nested runs and artifacts, and reads every value back', async () => {
    const suffix = randomBytes(4).toString('hex');
    const loss = Array.from({ length: 40 }, (_, step) => [step * 3, 1 / (step + 1)] as [number, number]);
    loss.push([200, NaN]);
    const batched = Array.from(
      { length: 10 },
      (_, step) =>
        [step, { acc: step / 10, 'val/f1': (step * 7) % 5, 'val loss': step * 2 }] as [
          number,
          Record<string, number>,
        ],
    );
    // NaN travels as MLflow's JSON spells it; the script turns it back into a float.
    const sent = (points: [number, number][]) => points.map(([step, value]) => [step, asJson(value)]);
    const spec = {
      experiment: `mlflow-client-${suffix}`,
      run_name: `parent-${suffix}`,
      params: { lr: '0.001', optimizer: 'adam', layers: '12', 'with space': 'yes' },
      per_step: { loss: sent(loss) },
      batched,
      tags: { team: 'vision', 'release.candidate': 'true' },
      child_seed: 7,
      dataset: {
        name: 'imagenet-subset',
        digest: `d${suffix}`,
        source_type: 'http',
        source: JSON.stringify({ url: `https://data.example/train-${suffix}.csv` }),
        schema: JSON.stringify({ mlflow_colspec: [{ name: 'x', type: 'double' }] }),
        profile: JSON.stringify({ num_rows: 1200, num_elements: 2400 }),
        input_tags: { 'mlflow.data.context': 'training', 'source.split': 'train[:80%]' },
      },
      artifact: `notes ${suffix}`,
      tree: { 'a.txt': 'alpha', 'deep/b.json': '{"b": 1}' },
      filter: `params.optimizer = 'adam' and metrics.acc >= 0.5`,
      order_by: ['metrics.acc DESC', 'attributes.start_time'],
    };
    const read = await runMlflowScript<RoundTrip>(SCRIPT, runlog.base, spec);

    expect(read.by_name).toBe(read.experiment_id);
    const { parent, child } = read;
    expect(parent).toMatchObject({
      name: spec.run_name,
      status: 'FINISHED',
      experiment_id: read.experiment_id,
    });
    expect(parent.artifact_uri).toBe(`mlflow-artifacts:/${read.experiment_id}/${parent.run_id}/artifacts`);
    expect(parent.params).toEqual(spec.params);
    expect(parent.metrics).toEqual({ loss: 'NaN', acc: 0.9, 'val/f1': (9 * 7) % 5, 'val loss': 18 });
    expect(parent.tags).toMatchObject({ ...spec.tags, 'mlflow.runName': spec.run_name });
    expect(parent.tags['mlflow.user']).toEqual(expect.any(String));
    // Every field of the dataset and every tag of the input comes back as sent.
    expect(parent.datasets).toEqual([spec.dataset]);
    expect(child).toMatchObject({ status: 'FINISHED', params: { seed: '7' } });
    expect(child.tags['mlflow.parentRunId']).toBe(parent.run_id);

    expect(read.histories.loss.map(([step, value]) => [step, value])).toEqual(
      loss.map(([step, value]) => [step, asJson(value)]),
    );
    expect(read.histories.acc.map(([step, value]) => [step, value])).toEqual(
      batched.map(([step, values]) => [step, values.acc]),
    );
    expect(read.histories['val/f1'].map(([step, value]) => [step, value])).toEqual(
      batched.map(([step, values]) => [step, values['val/f1']]),
    );
    // MLflow's key rule allows spaces; so does Runlog's.
    expect(read.histories['val loss'].map(([step, value]) => [step, value])).toEqual(
      batched.map(([step, values]) => [step, values['val loss']]),
    );
    for (const [, , timestamp] of read.histories.loss)
      expect(timestamp).toBeGreaterThan(Date.now() - 600_000);

    expect(read.listed).toEqual([
      ['notes.txt', false],
      ['outputs', true],
    ]);
    expect(read.listed_outputs).toEqual([
      ['outputs/a.txt', false],
      ['outputs/deep', true],
    ]);
    expect(read.artifact).toBe(spec.artifact);
    expect(read.tree).toEqual(spec.tree);
    expect(read.searched).toEqual([parent.run_id]);

    // The same run, read through GraphQL: one log, one projection.
    const { run } = await gql<{
      run: {
        name: string;
        status: string;
        parentRunId: string | null;
        params: { key: string; value: string }[];
        tags: { key: string; value: string }[];
        metrics: { key: string; count: number; lastStep: number }[];
        artifacts: { path: string; size: number }[];
        inputs: Record<string, unknown>[];
      };
    }>(
      runlog.base,
      `query($id: ID!) { run(id: $id) { name status parentRunId params { key value } tags { key value }
         metrics { key count lastStep } artifacts { path size }
         inputs { name digest source split rows schemaDigest schema profile tags { key value } } } }`,
      { id: parent.run_id },
    );
    expect(run.name).toBe(spec.run_name);
    expect(run.status).toBe('finished');
    expect(Object.fromEntries(run.params.map(({ key, value }) => [key, value]))).toEqual(spec.params);
    expect(Object.fromEntries(run.tags.map(({ key, value }) => [key, value]))).toMatchObject(spec.tags);
    expect(run.metrics.map(({ key, count, lastStep }) => [key, count, lastStep])).toEqual([
      ['acc', 10, 9],
      ['loss', loss.length, 200],
      ['val loss', 10, 9],
      ['val/f1', 10, 9],
    ]);
    expect(run.artifacts.map(({ path, size }) => [path, size]).sort()).toEqual([
      ['notes.txt', Buffer.byteLength(spec.artifact)],
      ['outputs/a.txt', 5],
      ['outputs/deep/b.json', 8],
    ]);
    expect(run.inputs).toEqual([
      {
        name: spec.dataset.name,
        digest: spec.dataset.digest,
        source: `http:${spec.dataset.source}`,
        split: 'training',
        rows: 1200,
        schemaDigest: `sha256:${createHash('sha256').update(spec.dataset.schema).digest('hex')}`,
        schema: spec.dataset.schema,
        profile: spec.dataset.profile,
        tags: [{ key: 'source.split', value: 'train[:80%]' }],
      },
    ]);
    const { run: childRun } = await gql<{ run: { parentRunId: string } }>(
      runlog.base,
      `query($id: ID!) { run(id: $id) { parentRunId } }`,
      { id: child.run_id },
    );
    expect(childRun.parentRunId).toBe(parent.run_id);
  }, 180_000);
});

describe('MLflow dialect, models through the mlflow client', () => {
  const runlog = useRunlog();

  it('logs a model, registers it, promotes it, and loads it back to predict', async () => {
    const suffix = randomBytes(4).toString('hex');
    const spec = { experiment: `models-${suffix}`, model: `adder-${suffix}`, n: 3 };
    const read = await runMlflowScript<{
      run_id: string;
      second_run_id: string;
      model_id: string;
      second_model_id: string;
      logged_source_run: string;
      logged_status: string;
      run_outputs: string[];
      by_alias: number[];
      by_version: number[];
      versions: (Record<string, unknown> & { version: string })[];
      aliases: Record<string, string>;
      third: { version: string; tags: Record<string, string>; deleted_error: string | null };
      fourth: string;
      finetune_run_id: string;
      finetune_inputs: { models: string[]; datasets: number };
      tagged: string[];
      ordered: string[];
      searched: string[];
      runs_in_experiment: string[];
    }>(MODELS_SCRIPT, runlog.base, spec);
    expect(read.model_id).toMatch(/^m-[0-9a-f]{32}$/);
    expect(read.logged_source_run).toBe(read.run_id);
    expect(read.logged_status).toMatch(/READY/);
    expect(read.run_outputs).toEqual([read.model_id]);
    expect(read.by_alias).toEqual([1 + spec.n, 2 + spec.n]);
    expect(read.by_version).toEqual([1 + spec.n * 10, 2 + spec.n * 10]);
    const version = (
      n: string,
      modelId: string,
      stage: string,
      aliases: string[],
      own: { tags?: Record<string, string>; description?: string } = {},
    ) => ({
      name: spec.model,
      version: n,
      run_id: modelId,
      status: 'READY',
      current_stage: stage,
      aliases,
      source: `models:/${modelId}`,
      tags: own.tags ?? {},
      description: own.description ?? '',
    });
    // Version 3 was registered with its tags, then deleted with its alias: not found since, its number not given
    // again.
    expect(read.third).toEqual({
      version: '3',
      tags: { from: 'first' },
      deleted_error: 'RESOURCE_DOES_NOT_EXIST',
    });
    expect(read.fourth).toBe('4');
    expect(read.finetune_inputs).toEqual({ models: [read.model_id], datasets: 0 });
    expect(read.versions.sort((a, b) => a.version.localeCompare(b.version))).toEqual([
      version('1', read.model_id, 'Staging', ['champion']),
      version('2', read.second_model_id, 'None', [], {
        tags: { validated: 'yes' },
        description: 'ten times',
      }),
      version('4', read.model_id, 'None', []),
    ]);
    expect(read.tagged).toEqual(['2']);
    expect(read.ordered).toEqual(['1', '2', '4']);
    expect(read.aliases).toEqual({ champion: '1' });
    expect(read.searched).toEqual([spec.model]);
    // The logged models are runs underneath, but MLflow's run search lists the three training runs only.
    expect(read.runs_in_experiment).toEqual([read.run_id, read.second_run_id, read.finetune_run_id].sort());

    // The same registry through GraphQL: the promotions were Runlog's own, audited.
    const { registeredModel } = await gql<{
      registeredModel: {
        versions: { version: number; runId: string; stage: string; tags: { key: string; value: string }[] }[];
        aliases: { alias: string; version: number }[];
      };
    }>(
      runlog.base,
      `query($n: String!) {
        registeredModel(name: $n) { versions { version runId stage tags { key value } } aliases { alias version } }
      }`,
      {
        n: spec.model,
      },
    );
    expect(registeredModel.versions).toEqual([
      { version: 1, runId: read.model_id, stage: 'Staging', tags: [] },
      { version: 2, runId: read.second_model_id, stage: 'None', tags: [{ key: 'validated', value: 'yes' }] },
      { version: 4, runId: read.model_id, stage: 'None', tags: [] },
    ]);
    expect(registeredModel.aliases).toEqual([{ alias: 'champion', version: 1 }]);
  }, 240_000);
});

describe('MLflow dialect, its errors', () => {
  const runlog = useRunlog();

  async function newRun(): Promise<string> {
    const experiment = await post<{ experiment_id: string }>(runlog.base, api('experiments/create'), {
      name: `errors-${randomBytes(4).toString('hex')}`,
    });
    expect(experiment.status).toBe(200);
    const run = await post<{ run: { info: { run_id: string } } }>(runlog.base, api('runs/create'), {
      experiment_id: experiment.body.experiment_id,
      start_time: Date.now(),
    });
    expect(run.status).toBe(200);
    return run.body.run.info.run_id;
  }

  it('refuses what MLflow refuses, in its format, and appends nothing', async () => {
    const runId = await newRun();
    const metric = (i: number) => ({ key: `m${i}`, value: i, timestamp: Date.now(), step: 0 });
    const cases: [string, unknown, number, string, RegExp][] = [
      [
        'runs/log-batch',
        { run_id: runId, metrics: Array.from({ length: 1001 }, (_, i) => metric(i)) },
        400,
        'INVALID_PARAMETER_VALUE',
        /at most 1000 metrics/,
      ],
      [
        'runs/log-batch',
        { run_id: runId, params: Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'v' })) },
        400,
        'INVALID_PARAMETER_VALUE',
        /at most 100 params/,
      ],
      [
        'runs/log-batch',
        {
          run_id: runId,
          params: [
            { key: 'a', value: '1' },
            { key: 'a', value: '2' },
          ],
        },
        400,
        'INVALID_PARAMETER_VALUE',
        /Duplicate parameter keys/,
      ],
      [
        'runs/log-metric',
        { run_id: runId, key: 'loss', timestamp: 1 },
        400,
        'INVALID_PARAMETER_VALUE',
        /'value'/,
      ],
      [
        'runs/log-metric',
        { run_id: runId, key: 'loss', value: 1, timestamp: 1, step: 'foo' },
        400,
        'INVALID_PARAMETER_VALUE',
        /Invalid value "foo" for parameter 'step'.*type 'str'/,
      ],
      [
        'runs/log-metric',
        { run_id: runId, key: '../up', value: 1, timestamp: 1 },
        400,
        'INVALID_PARAMETER_VALUE',
        /Invalid metric name/,
      ],
      [
        'runs/log-parameter',
        { key: 'lr', value: '1' },
        400,
        'INVALID_PARAMETER_VALUE',
        /Missing value for required parameter 'run_id'/,
      ],
      [
        'runs/log-parameter',
        { run_id: 'f'.repeat(32), key: 'lr', value: '1' },
        404,
        'RESOURCE_DOES_NOT_EXIST',
        /not found|does not exist/,
      ],
      [
        'experiments/create',
        { name: 'x', artifact_location: 'file:///etc' },
        400,
        'INVALID_PARAMETER_VALUE',
        /artifact_location/,
      ],
      ['no/such-endpoint', {}, 404, 'ENDPOINT_NOT_FOUND', /No API endpoint/],
    ];
    for (const [path, body, status, code, message] of cases) {
      const before = await logEnd(runlog.base);
      const answer = await post<{ error_code: string; message: string }>(runlog.base, api(path), body);
      expect([path, answer.status, answer.body.error_code]).toEqual([path, status, code]);
      expect(answer.body.message).toMatch(message);
      expect(await logEnd(runlog.base)).toBe(before);
    }
  });

  /** A request sent byte for byte (fetch would resolve `..` and `%2e%2e` before sending). */
  function rawRequest(method: string, path: string, body = ''): Promise<{ status: number; body: string }> {
    const { hostname, port } = new URL(runlog.base);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        { method, hostname, port, path, headers: { 'content-type': 'text/plain' } },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  it('keeps the artifact proxy and every id inside the run it names, whatever the URL spells', async () => {
    const victim = await newRun();
    const attacker = await newRun();
    const experimentOf = async (runId: string) =>
      (
        (await (await fetch(`${runlog.base}${api(`runs/get?run_id=${runId}`)}`)).json()) as {
          run: { info: { experiment_id: string } };
        }
      ).run.info.experiment_id;
    const root = `/api/2.0/mlflow-artifacts/artifacts/${await experimentOf(attacker)}/${attacker}/artifacts`;
    const before = await logEnd(runlog.base);
    for (const path of [
      `${root}/%2e%2e/%2e%2e/${victim}/artifacts/x.txt`,
      `${root}/../../${victim}/artifacts/x.txt`,
      `${root}/a/%2E/b.txt`,
      `${root}/a/%2fetc%2fpasswd`,
      `${root}/a//b.txt`,
      `${root}/..%5c..%5cx.txt`,
    ]) {
      const answer = await rawRequest('PUT', path, 'planted');
      expect([path, answer.status]).toEqual([path, 400]);
      expect(JSON.parse(answer.body)).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
    }
    expect(await logEnd(runlog.base)).toBe(before);
    for (const runId of ['..', '.', '%2e%2e', 'a/b']) {
      const answer = await rawRequest('GET', `${api('runs/get')}?run_id=${runId}`);
      expect([runId, answer.status, JSON.parse(answer.body).error_code]).toEqual([
        runId,
        404,
        'RESOURCE_DOES_NOT_EXIST',
      ]);
      const logged = await post<{ error_code: string }>(runlog.base, api('runs/log-parameter'), {
        run_id: runId,
        key: 'k',
        value: 'v',
      });
      expect([runId, logged.status]).toEqual([runId, 404]);
    }
    expect(await logEnd(runlog.base)).toBe(before);
  });

  it('finds runs by MLflow’s run-name tag and bare attributes, and keeps runlog.* tags its own', async () => {
    const runId = await newRun();
    const experimentId = (
      (await (await fetch(`${runlog.base}${api(`runs/get?run_id=${runId}`)}`)).json()) as {
        run: { info: { experiment_id: string; run_name: string } };
      }
    ).run.info;
    const search = (filter: string, orderBy: string[] = []) =>
      post<{ runs?: { info: { run_id: string } }[] }>(runlog.base, api('runs/search'), {
        experiment_ids: [experimentId.experiment_id],
        filter,
        order_by: orderBy,
      });
    for (const filter of [
      `tags.mlflow.runName = '${experimentId.run_name}'`,
      `tags.\`mlflow.runName\` = '${experimentId.run_name}'`,
      `run_name = '${experimentId.run_name}' and status = 'RUNNING'`,
    ]) {
      const found = await search(filter, ['start_time DESC']);
      expect([filter, found.status, found.body.runs?.map((run) => run.info.run_id)]).toEqual([
        filter,
        200,
        [runId],
      ]);
    }
    // A quoted value that looks like an attribute stays a value.
    expect((await search(`tags.note = 'status = x'`)).body.runs ?? []).toEqual([]);
    const before = await logEnd(runlog.base);
    for (const [path, body] of [
      ['runs/set-tag', { run_id: runId, key: 'runlog.loggedModel', value: 'true' }],
      ['runs/delete-tag', { run_id: runId, key: 'runlog.loggedModel' }],
    ] as const) {
      const refused = await post<{ error_code: string; message: string }>(runlog.base, api(path), body);
      expect([path, refused.status, refused.body.error_code]).toEqual([path, 400, 'INVALID_PARAMETER_VALUE']);
    }
    expect(await logEnd(runlog.base)).toBe(before);
  });

  it('refuses a cross-site text/plain POST on every MLflow route, before reading it', async () => {
    const before = await logEnd(runlog.base);
    for (const path of [
      api('experiments/create'),
      '/ajax-api/2.0/mlflow/experiments/create',
      api('runs/create'),
    ]) {
      const response = await fetch(`${runlog.base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ name: 'csrf', experiment_id: '0' }),
      });
      expect(response.status).toBe(415);
    }
    expect(await logEnd(runlog.base)).toBe(before);
  });

  it('keeps a param once logged: the same value again is a no-op, another is refused', async () => {
    const runId = await newRun();
    expect(
      (await post(runlog.base, api('runs/log-parameter'), { run_id: runId, key: 'lr', value: '0.1' })).status,
    ).toBe(200);
    expect(
      (await post(runlog.base, api('runs/log-parameter'), { run_id: runId, key: 'lr', value: '0.1' })).status,
    ).toBe(200);
    const before = await logEnd(runlog.base);
    const changed = await post<{ error_code: string }>(runlog.base, api('runs/log-parameter'), {
      run_id: runId,
      key: 'lr',
      value: '0.2',
    });
    expect([changed.status, changed.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(await logEnd(runlog.base)).toBe(before);
    // MLflow's runs/delete is a POST: another method finds no route, and deletes nothing.
    const deleted = await send('DELETE', runlog.base, api('runs/delete'), { run_id: runId });
    expect(deleted.status).toBe(404);
    expect(await logEnd(runlog.base)).toBe(before);
  });
});

describe('MLflow dialect, with tokens', () => {
  const BOOTSTRAP = randomBytes(32).toString('base64url');
  const runlog = useRunlog({ RUNLOG_AUTH: 'tokens', RUNLOG_BOOTSTRAP_TOKEN: BOOTSTRAP });

  it('lets a viewer read (no Default made on its behalf) and refuses its writes in MLflow\u2019s format', async () => {
    const setup = new Bootstrap(runlog.base, BOOTSTRAP);
    const viewer = (await setup.issue(['viewer'], 'team', 'mlflow-viewer')).token;
    const writer = (await setup.issue(['writer'], 'team', 'mlflow-writer')).token;
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    const headers = { ...as(BOOTSTRAP), 'x-runlog-workspace': 'team' };
    const before = await logEnd(runlog.base, headers);
    const searched = await post<{ experiments?: unknown[] }>(
      runlog.base,
      api('experiments/search'),
      { max_results: 10 },
      as(viewer),
    );
    expect([searched.status, searched.body.experiments ?? []]).toEqual([200, []]);
    const refused = await post<{ error_code: string }>(
      runlog.base,
      api('runs/create'),
      { experiment_id: '0' },
      as(viewer),
    );
    expect([refused.status, refused.body.error_code]).toEqual([403, 'PERMISSION_DENIED']);
    const anonymous = await post<{ error_code: string }>(runlog.base, api('experiments/search'), {});
    expect([anonymous.status, anonymous.body.error_code]).toEqual([401, 'UNAUTHENTICATED']);
    expect(await logEnd(runlog.base, headers)).toBe(before);
    const created = await post<{ run: { info: { experiment_id: string } } }>(
      runlog.base,
      api('runs/create'),
      { experiment_id: '0', start_time: Date.now() },
      as(writer),
    );
    expect([created.status, created.body.run.info.experiment_id]).toEqual([200, '0']);
  });
});
