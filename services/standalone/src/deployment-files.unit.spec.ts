import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const names = (text: string) => new Set(text.match(/\bRUNLOG_[A-Z0-9_]+\b/g) ?? []);

/** The compose file, the Kubernetes manifests and the README must speak of settings the server reads. */
describe('deployment files and the README', () => {
  // The server's configuration, and the libraries' parts of it that the CLI reads the same way.
  const read_by_server = new Set(
    [
      'services/standalone/src/config.ts',
      'libs/artifacts/src/open-artifact-store.ts',
      'libs/log/src/open-event-log.ts',
      'libs/audit/src/checkpoint-store.ts',
    ].flatMap((file) => [...names(read(file))]),
  );

  it.each(['docker-compose.yml', 'deploy/kubernetes/runlog.yaml', 'Dockerfile'])(
    '%s sets only variables the server reads',
    (file) => {
      expect([...names(read(file))].filter((name) => !read_by_server.has(name))).toEqual([]);
    },
  );

  it("lists every variable the server reads in the README's table", () => {
    const readme = read('README.md');
    expect([...read_by_server].filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });
});
