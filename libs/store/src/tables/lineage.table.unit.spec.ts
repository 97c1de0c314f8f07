import type { ClickhouseReader } from '../ports';
import { recordingReader } from '../testing/recording-ports';
import { findChildRuns, findModelVersion, findRunsOfOrigin } from './lineage.table';

/** The SQL of the lineage reads, snapshotted (see table-reads.unit.spec.ts): every one is scoped in the query. */
describe('lineage reads', () => {
  it.each([
    [
      'findModelVersion, any visible workspace',
      (r) => findModelVersion(r, ['ml'], { model: 'm', version: 2 }),
    ],
    [
      'findModelVersion, one workspace',
      (r) => findModelVersion(r, 'all', { model: 'm', version: 2, workspace: 'ml' }),
    ],
    [
      'findRunsOfOrigin, a dataset digest',
      (r) => findRunsOfOrigin(r, { datasetDigest: 'sha256:ab' }, ['ml'], 11),
    ],
    ['findRunsOfOrigin, a commit', (r) => findRunsOfOrigin(r, { commit: 'abc1234' }, ['ml'], 11)],
    [
      'findChildRuns',
      (r) => findChildRuns(r, ['run-1', 'run-2'], ['ml'], { limit: 5, excluding: ['run-1', 'run-2'] }),
    ],
  ] satisfies [string, (reader: ClickhouseReader) => Promise<unknown>][])('%s', async (_, read) => {
    const { reader, operations } = recordingReader();
    await read(reader);
    expect(operations).toMatchSnapshot();
  });

  it('reads nothing for no parents, or no room', async () => {
    const { reader, operations } = recordingReader();
    expect(await findChildRuns(reader, [], 'all', { limit: 5 })).toEqual([]);
    expect(await findChildRuns(reader, ['run-1'], 'all', { limit: 0 })).toEqual([]);
    expect(operations).toEqual([]);
  });

  it('scopes to nothing when the caller reads no workspace', async () => {
    const { reader, operations } = recordingReader();
    await findRunsOfOrigin(reader, { commit: 'abc1234' }, [], 10);
    expect(operations[0].sql).toMatch(/AND 0\s/);
  });
});
