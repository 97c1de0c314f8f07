import { ownerOf } from './ingest-router';
import { loadConfig } from '../../standalone/src/config';

describe('ownerOf', () => {
  it('gives every id one owner, the same on every call', () => {
    for (const id of ['run-1', 'run-2', 'a', '01a209a1-b2e4-702f-af22-4bf14090c0a0']) {
      expect(ownerOf(id, 3)).toBe(ownerOf(id, 3));
      expect(ownerOf(id, 3)).toBeGreaterThanOrEqual(0);
      expect(ownerOf(id, 3)).toBeLessThan(3);
    }
    // Pinned values (FNV-1a 32-bit of 'a' is 0xe40c292c): processes of different versions must agree on owners.
    expect(ownerOf('a', 1_000_000_007)).toBe(0xe40c292c % 1_000_000_007);
    expect(ownerOf('', 7)).toBe(0x811c9dc5 % 7);
  });

  it('spreads ids evenly over the peers', () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i += 1) counts[ownerOf(`run-${i}`, 3)] += 1;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(600);
  });
});

describe('RUNLOG_INGEST_PEERS', () => {
  const kafka = {
    RUNLOG_KAFKA_BROKERS: '127.0.0.1:9092',
    RUNLOG_S3_ENDPOINT: 'http://127.0.0.1:9000',
    RUNLOG_S3_ACCESS_KEY: 'key',
    RUNLOG_S3_SECRET_KEY: 'secret-key',
  };
  const peers = 'http://10.0.0.1:8080, http://10.0.0.2:8080/';

  it('reads the peers and this process position, or the pod ordinal from HOSTNAME', () => {
    expect(loadConfig({ ...kafka, RUNLOG_INGEST_PEERS: peers, RUNLOG_INGEST_INDEX: '1' })).toMatchObject({
      ingestPeers: ['http://10.0.0.1:8080', 'http://10.0.0.2:8080'],
      ingestIndex: 1,
    });
    expect(
      loadConfig({
        ...kafka,
        RUNLOG_INGEST_PEERS: peers,
        RUNLOG_INGEST_INDEX: 'hostname-ordinal',
        HOSTNAME: 'runlog-ingest-1',
      }).ingestIndex,
    ).toBe(1);
    expect(loadConfig({}).ingestPeers).toEqual([]);
    // Projectors and gateways share the deployment's environment and take no part in routing.
    expect(loadConfig({ ...kafka, RUNLOG_INGEST_PEERS: peers, RUNLOG_ROLES: 'projector' })).toMatchObject({
      ingestPeers: [],
      ingestIndex: 0,
    });
  });

  it('refuses a missing or out-of-range index, a non-URL peer, and peers without Kafka', () => {
    expect(() => loadConfig({ ...kafka, RUNLOG_INGEST_PEERS: peers })).toThrow(/RUNLOG_INGEST_INDEX/);
    expect(() => loadConfig({ ...kafka, RUNLOG_INGEST_PEERS: peers, RUNLOG_INGEST_INDEX: '2' })).toThrow(
      /0\.\.1/,
    );
    expect(() =>
      loadConfig({ ...kafka, RUNLOG_INGEST_PEERS: 'http://a:1,ftp://b', RUNLOG_INGEST_INDEX: '0' }),
    ).toThrow(/not a base URL/);
    expect(() => loadConfig({ RUNLOG_KAFKA_COMPRESSION: 'zstd' })).toThrow(
      /RUNLOG_KAFKA_COMPRESSION must be one of none, gzip/,
    );
    expect(loadConfig({ RUNLOG_KAFKA_COMPRESSION: 'gzip' }).kafkaCompression).toBe('gzip');
    expect(() => loadConfig({ RUNLOG_INGEST_PEERS: peers, RUNLOG_INGEST_INDEX: '0' })).toThrow(
      /RUNLOG_KAFKA_BROKERS/,
    );
    expect(() =>
      loadConfig({ RUNLOG_KAFKA_BROKERS: 'k:9092', RUNLOG_INGEST_PEERS: peers, RUNLOG_INGEST_INDEX: '0' }),
    ).toThrow(/RUNLOG_S3_ENDPOINT/);
  });
});
