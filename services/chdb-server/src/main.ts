import { resolve } from 'node:path';
import { startChdbHttpServer } from '../../../libs/store/src/chdb-server/chdb-http-server';

/**
 * `node dist/services/chdb-server/src/main.js`: the ClickHouse HTTP interface over one chDB data directory, so
 * that separate projector and gateway processes share one store (see libs/store/src/chdb-server).
 * CHDB_SERVER_PATH (default .runlog/chdb-server), CHDB_SERVER_PORT (default 8123, 0 = any free port).
 */
async function main() {
  const path = resolve(process.env.CHDB_SERVER_PATH || '.runlog/chdb-server');
  const port = Number(process.env.CHDB_SERVER_PORT ?? 8123);
  if (!Number.isInteger(port) || port < 0) throw new Error(`CHDB_SERVER_PORT must be a port, got ${port}`);
  const server = await startChdbHttpServer({ path, port });
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  console.log(JSON.stringify({ chdbServer: 'ready', url: server.url, port: server.port, path }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
