import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { logEnd, post } from '../support/runlog-client';
import { runMlflowScript } from '../support/mlflow-python';
import { useRunlog } from '../support/runlog-process';

const SCRIPT = join(__dirname, 'mlflow', 'client_multipart.py');
const ARTIFACTS = '/api/2.0/mlflow-artifacts';

interface Created {
  upload_id: string;
  credentials: { part_number: number; url: string; headers: Record<string, string> }[];
}

/**
 * MLflow's artifact routes beyond the single PUT and GET: the proxied multipart upload
 * (MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD), where the unchanged client sends a file in parts to the URLs Runlog names
 * and the file is stored and recorded as one artifact of the run; and the listings and file reads of the REST API
 * (`artifacts/list`) and of logged models.
 */
describe('MLflow dialect, artifacts', () => {
  const runlog = useRunlog();

  async function newRun(): Promise<{ experimentId: string; runId: string }> {
    const experiment = await post<{ experiment_id: string }>(
      runlog.base,
      '/api/2.0/mlflow/experiments/create',
      {
        name: `mpu-${randomBytes(4).toString('hex')}`,
      },
    );
    const run = await post<{ run: { info: { run_id: string } } }>(
      runlog.base,
      '/api/2.0/mlflow/runs/create',
      {
        experiment_id: experiment.body.experiment_id,
      },
    );
    return { experimentId: experiment.body.experiment_id, runId: run.body.run.info.run_id };
  }

  it('takes a file in parallel parts from the mlflow client and gives it back whole', async () => {
    const chunk = 64 * 1024;
    const size = 3 * chunk + 17;
    const read = await runMlflowScript<{
      run_id: string;
      sent: string;
      received: string;
      size: number;
      parts: number[];
    }>(SCRIPT, runlog.base, {
      experiment: `mpu-${randomBytes(4).toString('hex')}`,
      seed: 'parts',
      size,
      chunk,
    });
    expect(read.parts).toEqual([1, 2, 3, 4]);
    expect(read.size).toBe(size);
    expect(read.received).toBe(read.sent);
    // One artifact of the run, with the digest of the whole file: stored as a single upload would be.
    const listed = await fetch(`${runlog.base}/api/v1/runs/${read.run_id}/artifacts`);
    const artifacts = (await listed.json()) as { path: string; size: number; digest: string }[];
    expect(artifacts).toEqual([expect.objectContaining({ path: 'big/large.bin', size, digest: read.sent })]);
  }, 240_000);

  it('refuses a completion whose parts or ETags are not what was sent, appending nothing; abort forgets it', async () => {
    const { experimentId, runId } = await newRun();
    const path = `${experimentId}/${runId}/artifacts/models`;
    const created = await post<Created>(runlog.base, `${ARTIFACTS}/mpu/create/${path}`, {
      path: 'model.bin',
      num_parts: 2,
    });
    expect(created.status).toBe(200);
    const { upload_id: uploadId, credentials } = created.body;
    expect(credentials.map((c) => c.part_number)).toEqual([1, 2]);
    const etags: string[] = [];
    for (const [index, credential] of credentials.entries()) {
      const sent = await fetch(credential.url, { method: 'PUT', body: `part ${index + 1}` });
      expect(sent.status).toBe(200);
      etags.push(sent.headers.get('etag') ?? '');
    }
    const outOfRange = await fetch(credentials[0].url.replace(/\/1$/, '/3'), { method: 'PUT', body: 'x' });
    expect(outOfRange.status).toBe(400);

    const before = await logEnd(runlog.base);
    const complete = (parts: { part_number: number; etag: string }[], target = path) =>
      post<{ error_code: string; message: string }>(runlog.base, `${ARTIFACTS}/mpu/complete/${target}`, {
        path: 'model.bin',
        upload_id: uploadId,
        parts,
      });
    const wrongEtag = await complete([
      { part_number: 1, etag: etags[0] },
      { part_number: 2, etag: '"0000"' },
    ]);
    expect(wrongEtag).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });
    expect(wrongEtag.body.message).toMatch(/ETag of part 2/);
    const missing = await complete([{ part_number: 1, etag: etags[0] }]);
    expect(missing.status).toBe(400);
    const elsewhere = await complete(
      [
        { part_number: 1, etag: etags[0] },
        { part_number: 2, etag: etags[1] },
      ],
      `${experimentId}/${runId}/artifacts/other`,
    );
    expect(elsewhere.status).toBe(400);
    expect(await logEnd(runlog.base)).toBe(before);

    const aborted = await post(runlog.base, `${ARTIFACTS}/mpu/abort/${path}`, {
      path: 'model.bin',
      upload_id: uploadId,
    });
    expect(aborted.status).toBe(200);
    const afterAbort = await complete([
      { part_number: 1, etag: etags[0] },
      { part_number: 2, etag: etags[1] },
    ]);
    expect(afterAbort).toMatchObject({ status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST' } });
    expect(await logEnd(runlog.base)).toBe(before);
  });

  it('refuses a number of parts outside 1 to 10,000, and a path that leaves the run', async () => {
    const { experimentId, runId } = await newRun();
    for (const parts of [0, -1, 10_001, 1.5, 'many']) {
      const answer = await post(
        runlog.base,
        `${ARTIFACTS}/mpu/create/${experimentId}/${runId}/artifacts/a.bin`,
        {
          path: 'a.bin',
          num_parts: parts,
        },
      );
      expect(answer.status).toBe(400);
    }
    for (const bad of ['..%2f..%2fetc/passwd', 'a/../../b', '%2e%2e/x']) {
      const answer = await post(
        runlog.base,
        `${ARTIFACTS}/mpu/create/${experimentId}/${runId}/artifacts/${bad}`,
        {
          path: 'x',
          num_parts: 1,
        },
      );
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
    }
  });

  async function put(experimentId: string, runId: string, path: string, content: string): Promise<void> {
    const answer = await fetch(
      `${runlog.base}${ARTIFACTS}/artifacts/${experimentId}/${runId}/artifacts/${path}`,
      {
        method: 'PUT',
        body: content,
        headers: { 'content-type': 'text/plain' },
      },
    );
    expect(answer.status).toBe(200);
  }

  const get = async <T>(path: string) => {
    const answer = await fetch(`${runlog.base}${path}`);
    return { status: answer.status, body: (await answer.json()) as T };
  };

  it("lists a run's folders through artifacts/list, paths from the run's root, and refuses paths that leave it", async () => {
    const { experimentId, runId } = await newRun();
    await put(experimentId, runId, 'top.txt', 'top');
    await put(experimentId, runId, 'my%20dir/a.txt', 'alpha');
    await put(experimentId, runId, 'my%20dir/sub/c.txt', 'c');
    type Listing = { root_uri: string; files: { path: string; is_dir: boolean; file_size?: number }[] };
    const root = await get<Listing>(`/api/2.0/mlflow/artifacts/list?run_id=${runId}`);
    expect(root).toEqual({
      status: 200,
      body: {
        root_uri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
        files: [
          { path: 'my dir', is_dir: true },
          { path: 'top.txt', is_dir: false, file_size: 3 },
        ],
      },
    });
    const folder = await get<Listing>(`/api/2.0/mlflow/artifacts/list?run_id=${runId}&path=my%20dir`);
    expect(folder.body.files).toEqual([
      { path: 'my dir/a.txt', is_dir: false, file_size: 5 },
      { path: 'my dir/sub', is_dir: true },
    ]);
    // The proxy's own listing of the same folder names entries by base name, as MLflow's client expects.
    const proxied = await get<{ files: { path: string }[] }>(
      `${ARTIFACTS}/artifacts?path=${experimentId}/${runId}/artifacts/my%20dir`,
    );
    expect(proxied.body.files.map((file) => file.path)).toEqual(['a.txt', 'sub']);
    for (const bad of ['../x', '/etc', 'a/../../b', 'C:/x', 'file:///etc', 'a%2f..']) {
      const answer = await get<{ error_code: string }>(
        `/api/2.0/mlflow/artifacts/list?run_id=${runId}&path=${encodeURIComponent(bad)}`,
      );
      expect(answer).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });
    }
    expect((await get('/api/2.0/mlflow/artifacts/list')).status).toBe(400);
  });

  it("lists and serves a logged model's files", async () => {
    const { experimentId } = await newRun();
    const made = await post<{ model: { info: { model_id: string } } }>(
      runlog.base,
      '/api/2.0/mlflow/logged-models',
      {
        experiment_id: experimentId,
      },
    );
    const modelId = made.body.model.info.model_id;
    await put(experimentId, modelId, 'MLmodel', 'flavors: {}');
    await put(experimentId, modelId, 'data/weights.bin', 'weights');
    const listed = await get<{ files: { path: string; is_dir: boolean }[] }>(
      `/ajax-api/2.0/mlflow/logged-models/${modelId}/artifacts/directories`,
    );
    expect(listed.body.files.map(({ path, is_dir }) => [path, is_dir])).toEqual([
      ['MLmodel', false],
      ['data', true],
    ]);
    const inner = await get<{ files: { path: string }[] }>(
      `/ajax-api/2.0/mlflow/logged-models/${modelId}/artifacts/directories?artifact_directory_path=data`,
    );
    expect(inner.body.files.map((file) => file.path)).toEqual(['data/weights.bin']);
    const file = await fetch(
      `${runlog.base}/ajax-api/2.0/mlflow/logged-models/${modelId}/artifacts/files?artifact_file_path=data/weights.bin`,
    );
    expect(file.status).toBe(200);
    expect(await file.text()).toBe('weights');
    const traversal = await get(
      `/ajax-api/2.0/mlflow/logged-models/${modelId}/artifacts/files?artifact_file_path=../../etc/passwd`,
    );
    expect(traversal.status).toBe(400);
    const notAModel = await get(`/ajax-api/2.0/mlflow/logged-models/not-a-model/artifacts/directories`);
    expect(notAModel.status).toBe(404);
  });

  it("serves the web UI's file reads: a run's file and a registered version's, with MLflow's path checks", async () => {
    const { experimentId, runId } = await newRun();
    await put(experimentId, runId, 'model/MLmodel', 'flavors: {}');
    await put(experimentId, runId, 'model/data/w.bin', 'weights');
    const runFile = await fetch(`${runlog.base}/get-artifact?run_id=${runId}&path=model/data/w.bin`);
    expect(runFile.status).toBe(200);
    expect(await runFile.text()).toBe('weights');

    const name = `ui-${randomBytes(3).toString('hex')}`;
    expect((await post(runlog.base, '/api/2.0/mlflow/registered-models/create', { name })).status).toBe(200);
    const version = await post(runlog.base, '/api/2.0/mlflow/model-versions/create', {
      name,
      source: `mlflow-artifacts:/${experimentId}/${runId}/artifacts/model`,
      run_id: runId,
    });
    expect(version.status).toBe(200);
    const versionFile = await fetch(
      `${runlog.base}/model-versions/get-artifact?name=${name}&version=1&path=data/w.bin`,
    );
    expect(versionFile.status).toBe(200);
    expect(await versionFile.text()).toBe('weights');

    for (const path of [
      `/get-artifact?run_id=${runId}&path=../model`,
      `/model-versions/get-artifact?name=${name}&version=1&path=..%2FMLmodel`,
      `/api/2.0/mlflow/artifacts/list?run_id=${runId}&path=../path`,
    ]) {
      const answer = await get(path);
      expect(answer).toEqual({
        status: 400,
        body: { error_code: 'INVALID_PARAMETER_VALUE', message: 'Invalid path' },
      });
    }
    expect((await get(`/get-artifact?run_id=${runId}&path=model/none.bin`)).status).toBe(404);
    expect((await get(`/model-versions/get-artifact?name=${name}&version=2&path=MLmodel`)).status).toBe(404);
  });
});
