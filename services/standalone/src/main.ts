import 'reflect-metadata';
import { Logger, Module, type DynamicModule, type LogLevel, type Type } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { join } from 'node:path';
import {
  AccessDirectory,
  Authenticator,
  createRateLimits,
  type AccessServices,
} from '../../../libs/access/src';
import { TOPICS } from '../../../libs/events/src/envelope';
import type { EventLog } from '../../../libs/log/src/event-log';
import {
  describeEventLogLocation,
  openEventLogAt,
  type EventLogLocation,
} from '../../../libs/log/src/open-event-log';
import {
  describeArtifactLocation,
  openArtifactStoreAt,
} from '../../../libs/artifacts/src/open-artifact-store';
import {
  applyMigrations,
  createClickHouse,
  readerFor,
  storeIdentity,
  writerFor,
} from '../../../libs/store/src';
import { dashboardStatic } from '../../gateway/src/dashboard/dashboard-static';
import { GatewayModule } from '../../gateway/src/gateway.module';
import type { IngestEndpoint } from '../../../libs/ingest-client/src';
import { createHttpBoundary, isArtifactUpload, refuseInvalidUtf8 } from '../../ingest/src/http-boundary';
import { bodyParserErrorHandler } from '../../ingest/src/http-errors';
import { IngestAdmission } from '../../ingest/src/admission/ingest-admission';
import { recordRequestWrites } from '../../ingest/src/consistency/consistency-token.interceptor';
import { IngestModule } from '../../ingest/src/ingest.module';
import { MLFLOW_PREFIXES, MlflowModule } from '../../mlflow/src/mlflow.module';
import { ProjectorModule } from '../../projector/src/projector.module';
import { loadConfig, type Role, type RunlogConfig } from './config';
import { InfrastructureModule, type Infrastructure } from './infrastructure.module';
import { HealthController } from './health.controller';
import { createAccessMiddleware } from './access/access.middleware';
import { RouteAccessGuard } from './access/route-access.guard';

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** The gateway role also speaks MLflow's REST dialect: both read ClickHouse and send their writes to ingest. */
const ROLE_MODULES: Record<Role, Type[]> = {
  ingest: [IngestModule],
  projector: [ProjectorModule],
  gateway: [GatewayModule, MlflowModule],
};

@Module({})
class StandaloneModule {
  static with(infra: Infrastructure, roles: Role[]): DynamicModule {
    return {
      module: StandaloneModule,
      imports: [InfrastructureModule.forRoot(infra), ...roles.flatMap((role) => ROLE_MODULES[role])],
      controllers: [HealthController],
      providers: [{ provide: APP_GUARD, useClass: RouteAccessGuard }],
    };
  }
}

/** An address this process can call itself on: the one it listens on, or loopback when it listens on all. */
function loopbackOf(host: string): string {
  if (host === '0.0.0.0' || host === '' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Kafka when RUNLOG_KAFKA_BROKERS names brokers, else the embedded log in the data dir. */
function logLocation({ kafkaBrokers, kafkaNamespace, dataDir }: RunlogConfig): EventLogLocation {
  return { ...(kafkaBrokers?.length ? { kafkaBrokers, kafkaNamespace } : {}), dataDir };
}

function openEventLog(config: RunlogConfig): Promise<EventLog> {
  return openEventLogAt(logLocation(config), {
    clientId: `runlog-${config.roles.join('-')}`,
    kafka: {
      metricsCompression: config.kafkaCompression,
      // With several ingest processes, a run's experiment may have been created by another one.
      followTopics: config.ingestPeers.length > 1 ? [TOPICS.lifecycle] : [],
      // A projector taking over a partition continues its dead-letter stream, which another one may have
      // written; only its own appends there wait on that (following it on every read stalled ingest through a
      // broker outage). Every process may issue or revoke a token: it knows the access streams' heads before it
      // appends there.
      followOnAppendTopics: [
        TOPICS.access,
        ...(config.roles.includes('projector') ? [TOPICS.deadletter] : []),
      ],
    },
  });
}

/** Metric batches past the limits are shed before their body is read; see IngestAdmission. */
function ingestAdmission(
  config: RunlogConfig,
  log: EventLog,
  projectorGroup: string | null,
): IngestAdmission {
  const maxProjectionLag = config.ingestMaxProjectionLag > 0 ? config.ingestMaxProjectionLag : null;
  if (maxProjectionLag !== null && projectorGroup === null) {
    // The projector's group is named after its store, which a process without ClickHouse cannot see.
    throw new Error(
      'RUNLOG_INGEST_MAX_PROJECTION_LAG needs the projector or gateway role in the same process (its group is named after the store)',
    );
  }
  const admission = new IngestAdmission(
    { maxConcurrentBatches: config.ingestMaxConcurrentBatches, maxProjectionLag },
    (atMost) => log.pendingRecords(projectorGroup ?? '', TOPICS.metrics, atMost),
  );
  admission.start();
  return admission;
}

/** The tokens the log holds, read to the end before the process listens, then followed. */
async function openAccess(config: RunlogConfig, log: EventLog): Promise<AccessServices> {
  const directory = new AccessDirectory(log, { pollMs: config.auth.accessPollMs });
  await directory.start();
  if (config.auth.mode === 'off') {
    new Logger('Access').warn(
      `RUNLOG_AUTH=off: anyone who can reach ${config.host}:${config.port} reads, writes and deletes everything as ${config.auth.localOwner}`,
    );
  }
  return {
    directory,
    authenticator: new Authenticator(config.auth, directory),
    rateLimits: createRateLimits(config.rateLimits),
  };
}

/** The roles of RUNLOG_ROLES in one process: every role on the embedded engines is `npm start`. */
export async function startStandalone(config: RunlogConfig = loadConfig()) {
  const started = Date.now();
  const log = await openEventLog(config);
  const artifacts = await openArtifactStoreAt(config.s3, config.dataDir);
  const needsClickHouse = config.roles.includes('projector') || config.roles.includes('gateway');
  const clickhouse = needsClickHouse
    ? createClickHouse({
        url: config.clickhouseUrl,
        username: config.clickhouseUser,
        password: config.clickhousePassword,
        chdbPath: join(config.dataDir, 'clickhouse'),
        database: config.clickhouseDatabase,
      })
    : null;
  if (clickhouse) await applyMigrations(clickhouse);
  // Named after the store, so an empty ClickHouse gets a fresh group and the log is replayed into it (002).
  const projectorGroup = clickhouse
    ? `runlog-projector-${await storeIdentity(readerFor(clickhouse), writerFor(clickhouse))}`
    : 'runlog-projector';
  const admission = config.roles.includes('ingest')
    ? ingestAdmission(config, log, clickhouse ? projectorGroup : null)
    : null;
  const access = await openAccess(config, log);
  const ingestEndpoint: IngestEndpoint = { baseUrl: config.ingestUrl };
  const level = Math.max(0, LOG_LEVELS.indexOf(config.logLevel as LogLevel));
  const app = await NestFactory.create<NestExpressApplication>(
    StandaloneModule.with(
      {
        log,
        clickhouse,
        projector: {
          groupId: projectorGroup,
          maxBatchRecords: config.projectorBatchRecords,
          runCacheSize: 10000,
          maxInsertRows: config.projectorMaxInsertRows,
          stallMs: config.projectorStallMs,
          retentionCheckMs: config.retentionCheckMs,
          crashAfterInsertedBatches: config.faultProjectorCrashAfterInsertedBatches,
          crashTopic: config.faultProjectorCrashTopic,
        },
        ingestRouting: { peers: config.ingestPeers, self: config.ingestIndex },
        liveness: { staleAfterMs: config.staleAfterMs },
        artifacts: {
          store: artifacts,
          location: describeArtifactLocation(config.s3, config.dataDir),
          maxBytes: config.maxArtifactBytes,
        },
        graphqlLimits: config.graphql,
        auditCheckpoints: config.auditCheckpoints,
        ingestEndpoint,
        admission,
        access,
      },
      config.roles,
    ),
    { bodyParser: false, logger: LOG_LEVELS.slice(0, level + 1) },
  );
  // Before any body is read: declared sizes over the cap (413) and non-JSON bodies on the API (415).
  app.use(
    createHttpBoundary({
      guardedPrefixes: ['/api/v1', '/admin', ...MLFLOW_PREFIXES],
      maxJsonBytes: config.maxBodyBytes,
      maxUploadBytes: config.maxArtifactBytes,
    }),
  );
  // The dashboard's page and bundles, public like the documents (they hold no data): before the credential check.
  const dashboard = config.roles.includes('gateway') ? dashboardStatic() : null;
  if (dashboard) app.use(dashboard);
  // Who is asking, before anything acts on the request; each route's entry in the permissions table is checked
  // by RouteAccessGuard, each GraphQL field by the gateway's access plugin.
  app.use(createAccessMiddleware(access.authenticator));
  // Fair use, before any work: a token over its request rate gets 429 + Retry-After (the local owner never does).
  app.use(access.rateLimits.middleware);
  if (admission) app.use(admission.middleware());
  // JSON bodies everywhere but artifact uploads, whose body is the file and is streamed to the store as it comes.
  const json = express.json({ limit: config.maxBodyBytes, verify: refuseInvalidUtf8 });
  app.use((request: Request, response: Response, next: NextFunction) =>
    isArtifactUpload(request) ? next() : json(request, response, next),
  );
  app.use(bodyParserErrorHandler);
  // After the body parser, so that the handlers run inside the context that collects their writes' positions.
  if (config.roles.includes('ingest')) app.use(recordRequestWrites);
  // No app.enableShutdownHooks(): main() owns SIGINT/SIGTERM and calls app.close(), which runs the same hooks. With
  // both, Nest's own close and ours overlapped, and ours never returned (seen on Kafka, where stopping takes longer).
  const closeEngines = async () => {
    admission?.stop();
    access.directory.stop();
    await log.close();
    await clickhouse?.close();
  };
  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const base = `http://${config.host}:${port}`;
  // The gateway's mutations go to this process's own ingest API when it has one, over the loopback address.
  if (config.roles.includes('ingest') && !config.ingestUrl) {
    ingestEndpoint.baseUrl = `http://${loopbackOf(config.host)}:${port}`;
  }
  return { app, base, port, started, closeEngines, engine: clickhouse?.engine ?? null };
}

async function main() {
  const config = loadConfig();
  const { app, base, port, started, closeEngines, engine } = await startStandalone(config);
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await app.close();
    await closeEngines();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  // One machine-readable line first (the test harness and scripts read it), then the human summary.
  console.log(JSON.stringify({ runlog: 'ready', port, base }));
  console.log(
    [
      `Runlog is up in ${Date.now() - started} ms (roles: ${config.roles.join(' + ')}, one process)`,
      `  ingest API   ${base}/api/v1   (OpenAPI: ${base}/api/v1/openapi.json)`,
      `  GraphQL      ${base}/graphql`,
      `  health       ${base}/healthz`,
      `  event log    ${describeEventLogLocation(logLocation(config))}${
        config.kafkaBrokers?.length ? '' : ' (node:sqlite, WAL, synchronous=FULL)'
      }`,
      `  ClickHouse   ${engine === 'chdb' ? `${join(config.dataDir, 'clickhouse')} (chDB, in-process)` : (config.clickhouseUrl ?? 'not used by these roles')}`,
      `  artifacts    ${describeArtifactLocation(config.s3, config.dataDir)}`,
    ].join('\n'),
  );
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
