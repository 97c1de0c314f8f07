/* global require, process, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports -- plain CommonJS: the durability test runs it with node, no compiler */
'use strict';

/**
 * Appends to one stream of the embedded log until it is killed, printing the id of every event whose append was
 * acknowledged, one per line, only after the promise resolved. The durability test SIGKILLs it and checks that
 * every printed id is in the file. Loads the compiled adapter: run `npm run build` first.
 *
 * usage: node crash-writer.cjs <db path> <topic> <stream> [concurrency]
 */
const path = require('node:path');
const { SqliteEventLog } = require(path.join(__dirname, '../../../dist/libs/log/src/sqlite-event-log.js'));
const { newEventId } = require(path.join(__dirname, '../../../dist/libs/events/src/envelope.js'));

const [dbPath, topic, stream, concurrencyArg] = process.argv.slice(2);
if (!dbPath || !topic || !stream) {
  process.stderr.write('usage: crash-writer.cjs <db path> <topic> <stream> [concurrency]\n');
  process.exit(2);
}
const concurrency = Number(concurrencyArg ?? 16);
const log = SqliteEventLog.open({ path: dbPath });
// Roughly a small metric batch, so that a kill often lands while pages are being written.
const values = Array.from({ length: 200 }, (_, i) => i / 7);

async function worker(workerId) {
  for (let n = 0; ; n += 1) {
    const events = Array.from({ length: 1 + (n % 3) }, () => ({
      id: newEventId(),
      type: 'metrics.logged',
      v: 1,
      workspace: 'crash-test',
      actor: `worker-${workerId}`,
      occurredAt: new Date().toISOString(),
      payload: { key: 'loss', values },
    }));
    await log.appendToStream(topic, stream, events);
    // Writes to a pipe are synchronous on Linux, so a line the parent reads was printed after the ack.
    process.stdout.write(events.map((e) => `${e.id}\n`).join(''));
  }
}

for (let i = 0; i < concurrency; i += 1) {
  worker(i).catch((error) => {
    process.stderr.write(`worker ${i} failed: ${error && error.stack ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
