import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyStreamChain } from '../../libs/events/src/envelope';
import { SqliteEventLog } from '../../libs/log/src/sqlite-event-log';

const ROOT = join(__dirname, '../..');
const WRITER = join(ROOT, 'libs/log/test/crash-writer.cjs');
const COMPILED_ADAPTER = join(ROOT, 'dist/libs/log/src/sqlite-event-log.js');

interface KilledWriter {
  acked: string[];
  stderr: string;
}

/** Runs the crash writer until it acknowledged at least `minAcks` events, then SIGKILLs it mid-flight. */
function runAndKill(dbPath: string, topic: string, stream: string, minAcks: number): Promise<KilledWriter> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, dbPath, topic, stream], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: string[] = [];
    let partial = '';
    let stderr = '';
    let killed = false;
    const timeout = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`writer acknowledged only ${acked.length} events in time; stderr: ${stderr}`));
    }, 60_000);

    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      // Only complete lines count: a kill can cut the last one short.
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      acked.push(...lines.filter((line) => line !== ''));
      if (!killed && acked.length >= minAcks) {
        killed = true;
        // A little random extra run time, so the kill does not always land at the same point of a commit.
        setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 20));
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    // 'close', not 'exit': stdout is drained by then, so no acknowledged line is missed.
    child.on('close', (code, signal) => {
      clearTimeout(timeout);
      if (signal !== 'SIGKILL') {
        reject(new Error(`writer ended by itself (code ${code}, signal ${signal}); stderr: ${stderr}`));
        return;
      }
      resolve({ acked, stderr });
    });
  });
}

describe('embedded log durability', () => {
  let dir: string;

  beforeAll(() => {
    if (!existsSync(COMPILED_ADAPTER)) {
      throw new Error(
        `${COMPILED_ADAPTER} is missing: the crash writer runs the compiled adapter, run npm run build`,
      );
    }
    dir = mkdtempSync(join(tmpdir(), 'runlog-durability-'));
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged append, in an intact chain, across repeated kill -9', async () => {
    const dbPath = join(dir, 'log.db');
    const topic = 'runlog.metrics';
    const stream = `run:${randomUUID()}`;
    const allAcked: string[] = [];

    // Each round restarts the writer on the file the previous one was killed over, so recovery is exercised too.
    for (let round = 0; round < 3; round += 1) {
      const { acked } = await runAndKill(dbPath, topic, stream, 200);
      expect(acked.length).toBeGreaterThanOrEqual(200);
      allAcked.push(...acked);

      const log = SqliteEventLog.open({ path: dbPath });
      try {
        const slice = await log.readStream(stream);
        const stored = new Set(slice.events.map((e) => e.id));
        expect(allAcked.filter((id) => !stored.has(id))).toEqual([]);
        expect(stored.size).toBe(slice.events.length);
        expect(slice.version).toBe(slice.events.length);
        expect(verifyStreamChain(slice.events)).toBeNull();

        const records = await log.read(topic, 0, 0, slice.events.length + 1);
        expect(records.map((r) => r.event.id)).toEqual(slice.events.map((e) => e.id));
      } finally {
        await log.close();
      }
    }
  });
});
