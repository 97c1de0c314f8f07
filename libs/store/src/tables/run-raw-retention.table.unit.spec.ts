import { recordingReader, recordingWriter } from '../testing/recording-ports';
import {
  getRawRetentionFingerprint,
  materializeRawRetention,
  reloadRunRawRetention,
} from './run-raw-retention.table';

describe('run_raw_retention: the SQL that keeps raw-point retention applied', () => {
  it('reads one fingerprint of the limits and of the limited runs', async () => {
    const { reader, operations } = recordingReader({
      getRawRetentionFingerprint: [{ limits: '1:42', runs: '3:7', limitedExperiments: '1' }],
    });
    expect(await getRawRetentionFingerprint(reader)).toEqual({
      limits: '1:42',
      runs: '3:7',
      limitedExperiments: 1,
    });
    expect(operations).toMatchSnapshot();
  });

  it('reloads the dictionary and materializes the TTL as named commands', async () => {
    const { writer, commands } = recordingWriter();
    await reloadRunRawRetention(writer);
    await materializeRawRetention(writer);
    expect(commands).toEqual([
      { name: 'reloadRunRawRetention', sql: 'SYSTEM RELOAD DICTIONARY runlog.run_raw_retention' },
      { name: 'materializeRawRetention', sql: 'ALTER TABLE runlog.metric_points MATERIALIZE TTL' },
    ]);
  });
});
