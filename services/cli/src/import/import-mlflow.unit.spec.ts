import { createServer, type IncomingMessage, type Server } from 'node:http';
import { importMlflow } from './import-mlflow';

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`),
    ),
  );
const bodyOf = async (request: IncomingMessage) => {
  let text = '';
  for await (const chunk of request) text += chunk;
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
};

/**
 * An MLflow server holding a deleted experiment whose name Runlog already has, and a child run listed before its
 * parent; a Runlog that records what it is asked and answers a get-or-create by name with its own experiment.
 */
async function importFromFakes() {
  const mlflow = createServer(async (request, response) => {
    const body = await bodyOf(request);
    response.setHeader('content-type', 'application/json');
    if (request.url?.includes('experiments/search'))
      return response.end(
        JSON.stringify({ experiments: [{ experiment_id: '5', name: 'shared', lifecycle_stage: 'deleted' }] }),
      );
    if (request.url?.includes('runs/search')) {
      expect(body.experiment_ids).toEqual(['5']);
      const run = (id: string, tags: { key: string; value: string }[] = []) => ({
        info: { run_id: id, experiment_id: '5', status: 'FINISHED', start_time: 1000, end_time: 2000 },
        data: { tags },
      });
      return response.end(
        JSON.stringify({
          runs: [run('child', [{ key: 'mlflow.parentRunId', value: 'parent' }]), run('parent')],
        }),
      );
    }
    return response.end(JSON.stringify({}));
  });
  const calls: { method: string; path: string; body: Record<string, unknown> }[] = [];
  const runlog = createServer(async (request, response) => {
    const body = await bodyOf(request);
    calls.push({ method: request.method ?? '', path: request.url ?? '', body });
    response.setHeader('content-type', 'application/json');
    if (request.url === '/api/v1/experiments')
      return response.end(JSON.stringify({ experimentId: 'runlogs-own' }));
    return response.end(request.method === 'GET' ? '[]' : '{}');
  });
  const [mlflowUrl, runlogUrl] = await Promise.all([listen(mlflow), listen(runlog)]);
  const out: string[] = [];
  try {
    const code = await importMlflow([mlflowUrl, '--json'], {
      env: { RUNLOG_URL: runlogUrl },
      stdout: { write: (text: string) => out.push(text) },
      stderr: { write: () => true },
    });
    return { code, calls, summary: JSON.parse(out.join('')) as { refused: unknown[] } };
  } finally {
    mlflow.close();
    runlog.close();
  }
}

describe('runlog import mlflow, against fake servers', () => {
  it('makes a parent before its child, and runs go to the experiment Runlog answered for the name', async () => {
    const { code, calls, summary } = await importFromFakes();
    expect([code, summary.refused]).toEqual([0, []]);
    const created = calls.filter((call) => call.path === '/api/v1/runs').map((call) => call.body);
    expect(created.map((run) => [run.runId, run.experimentId, run.parentRunId])).toEqual([
      ['parent', 'runlogs-own', undefined],
      ['child', 'runlogs-own', 'parent'],
    ]);
  });

  it('never archives an experiment of Runlog’s own because a deleted MLflow experiment had its name', async () => {
    const { calls } = await importFromFakes();
    expect(calls.filter((call) => call.path.endsWith('/archive'))).toEqual([]);
  });
});
