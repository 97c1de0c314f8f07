import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import type { ArtifactStore } from '../../artifacts/src/artifact-store';
import type { EventLog } from '../../log/src/event-log';
import type { AuditProgress } from './audit-scan';
import { CHECKPOINTED_TOPICS } from './checkpoint-writer';
import { type CheckpointConfig } from './checkpoint-store';

export interface BundleSummary {
  folder: string;
  events: number;
  partitions: number;
  checkpoints: number;
}

/**
 * Writes an audit bundle (the format is libs/audit-verifier/src/bundle.ts's): every stored envelope of the audited
 * topics as recorded, the signed checkpoints from the artifact store, and the public key, so a third party checks
 * it offline with the verifier alone. Events are streamed to disk: memory stays one read batch.
 */
export async function writeAuditBundle(
  log: Pick<EventLog, 'read' | 'endOffsets'>,
  store: Pick<ArtifactStore, 'listRecords' | 'getRecord'>,
  config: Pick<CheckpointConfig, 'verifyKey'>,
  folder: string,
  options: { topics?: readonly string[]; onProgress?: (progress: AuditProgress) => void; now?: Date } = {},
): Promise<BundleSummary> {
  const topics = options.topics ?? CHECKPOINTED_TOPICS;
  await mkdir(folder, { recursive: true });
  const ends: { topic: string; partition: number; end: number }[] = [];
  for (const topic of topics) {
    for (const [partition, end] of [...(await log.endOffsets(topic))].sort(([a], [b]) => a - b)) {
      ends.push({ topic, partition, end });
    }
  }
  const total = ends.reduce((sum, { end }) => sum + end, 0);
  let read = 0;
  let events = 0;
  const partitions: { topic: string; partition: number; events: number; file: string }[] = [];
  for (const { topic, partition, end } of ends) {
    const file = join('events', topic, `${partition}.jsonl`);
    await mkdir(dirname(join(folder, file)), { recursive: true });
    const out = createWriteStream(join(folder, file));
    let count = 0;
    for (let next = 0; next < end;) {
      const records = (await log.read(topic, partition, next, 2_000)).filter((record) => record.offset < end);
      if (records.length === 0) break;
      for (const record of records) {
        if (!out.write(`${JSON.stringify(record.event)}\n`)) await once(out, 'drain');
        count++;
      }
      const advanced = records[records.length - 1].offset + 1;
      read += advanced - next;
      next = advanced;
      options.onProgress?.({ topic, partition, read, total });
    }
    out.end();
    await once(out, 'finish');
    partitions.push({ topic, partition, events: count, file });
    events += count;
  }
  const checkpoints: string[] = [];
  const exported = new Map(partitions.map((p) => [`${p.topic}/${p.partition}`, p.events]));
  for (const key of await store.listRecords('checkpoints/')) {
    const [, topic, partition, size] = key.split('/');
    // A checkpoint signed while the events were being read counts more than the bundle holds: it belongs to the
    // next export, not this one.
    if (!topics.includes(topic) || parseInt(size, 10) > (exported.get(`${topic}/${partition}`) ?? 0))
      continue;
    const bytes = await store.getRecord(key);
    if (bytes === null) continue;
    await mkdir(dirname(join(folder, key)), { recursive: true });
    await writeFile(join(folder, key), bytes);
    checkpoints.push(key);
  }
  const publicKey = config.verifyKey
    ? config.verifyKey.export({ type: 'spki', format: 'pem' }).toString()
    : null;
  const manifest = {
    format: 'runlog.audit-bundle/1',
    createdAt: (options.now ?? new Date()).toISOString(),
    publicKey,
    partitions,
    checkpoints,
  };
  await writeFile(join(folder, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  options.onProgress?.({ topic: '', partition: -1, read: total, total });
  return { folder, events, partitions: partitions.length, checkpoints: checkpoints.length };
}
