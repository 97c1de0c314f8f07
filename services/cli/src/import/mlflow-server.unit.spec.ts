import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MlflowServerSource } from './mlflow-server';
import type { SourceRun } from './mlflow-source';

/** A tracking server that answers one run and the artifact listing given: what a hostile or broken one may say. */
function fakeServer(listing: (path: string) => { path: string; is_dir?: boolean }[]): Promise<Server> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    response.setHeader('content-type', 'application/json');
    if (url.pathname.endsWith('/runs/search')) {
      response.end(
        JSON.stringify({
          runs: [
            { info: { run_id: 'r1', experiment_id: '1', artifact_uri: 'mlflow-artifacts:/1/r1/artifacts' } },
          ],
        }),
      );
    } else if (url.pathname === '/api/2.0/mlflow-artifacts/artifacts') {
      response.end(JSON.stringify({ files: listing(url.searchParams.get('path') ?? '') }));
    } else {
      response.end('written');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function artifactsFrom(listing: (path: string) => { path: string; is_dir?: boolean }[]) {
  const server = await fakeServer(listing);
  const address = server.address() as { port: number };
  const source = new MlflowServerSource(`http://127.0.0.1:${address.port}`, {});
  try {
    const [run] = await source.runs({ id: '1', name: 'e', deleted: false });
    return await source.artifacts(run as SourceRun);
  } finally {
    server.close();
  }
}

describe('an MLflow server as an import source', () => {
  it.each([
    ['a parent folder', '../../escaped.txt'],
    ['an absolute path', '/etc/escaped.txt'],
    ['a dot segment', 'a/./b.txt'],
    ['a backslash', '..\\escaped.txt'],
    ['an empty segment', 'a//b.txt'],
  ])('refuses a listing naming %s, and writes nothing', async (_, path) => {
    await expect(artifactsFrom(() => [{ path }])).rejects.toThrow(/not a path under the run/);
    expect(existsSync(join(tmpdir(), 'escaped.txt'))).toBe(false);
  });

  it('refuses a folder that lists itself, past 32 folders deep', async () => {
    await expect(artifactsFrom(() => [{ path: 'loop', is_dir: true }])).rejects.toThrow(/deeper than 32/);
  });

  it('downloads what a well-formed listing names, under the run', async () => {
    const { files, release } = await artifactsFrom((path) =>
      path.endsWith('/sub') ? [{ path: 'b.txt' }] : [{ path: 'a.txt' }, { path: 'sub', is_dir: true }],
    );
    expect(files.map((file) => file.path)).toEqual(['a.txt', 'sub/b.txt']);
    await release();
  });
});
