import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifactStoreContract, upload, weights } from '../test/artifact-store.contract';
import { LocalArtifactStore } from './local-artifact-store';

/** Every file under `folder`, relative to it: what the store left on disk. */
const filesUnder = async (folder: string): Promise<string[]> => {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(folder.length + 1))
    .sort();
};

async function localSubject() {
  const root = await mkdtemp(join(tmpdir(), 'runlog-artifacts-'));
  return {
    root,
    store: new LocalArtifactStore({ root }),
    storedObjects: () => filesUnder(root),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

artifactStoreContract('local folder', localSubject);

describe('LocalArtifactStore layout', () => {
  it('keeps content at sha256/<first two hex digits>/<the other 62>', async () => {
    const subject = await localSubject();
    try {
      const stored = await subject.store.put(upload(weights), { maxBytes: 1_000_000 });
      expect(await filesUnder(subject.root)).toEqual([
        join('sha256', stored.digest.slice(0, 2), stored.digest.slice(2)),
      ]);
    } finally {
      await subject.cleanup();
    }
  });
});
