import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const names = (text: string) => new Set(text.match(/\bRUNLOG_[A-Z0-9_]+\b/g) ?? []);

/** The compose file, the Kubernetes manifests and the README must speak of settings the server reads. */
describe('deployment files and the README', () => {
  const read_by_server = names(read('services/standalone/src/config.ts'));

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
