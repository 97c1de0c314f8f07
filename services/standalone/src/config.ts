import { checkpointConfigFromEnv, type CheckpointConfig } from '../../../libs/audit/src';
import { s3LocationFromEnv, type S3Location } from '../../../libs/artifacts/src/open-artifact-store';
import { resolve } from 'node:path';
import type { GraphqlLimitsConfig } from '../../gateway/src/limits/graphql-limits';
import { rateLimitConfigFromEnv, type RateLimitConfig } from '../../../libs/access/src';
import { loadAuthSettings, type AuthSettings } from './access/auth-config';

/** Every environment variable Runlog reads; the README's table lists the same names. */
export const ROLES = ['ingest', 'projector', 'gateway'] as const;
export type Role = (typeof ROLES)[number];

export interface RunlogConfig {
  roles: Role[];
  host: string;
  port: number;
  dataDir: string;
  maxBodyBytes: number;
  /** Largest artifact an upload may store; S3's single server-side copy caps it at 5 GiB. */
  maxArtifactBytes: number;
  /** Kafka brokers; when set the event log is Kafka, otherwise the embedded node:sqlite log. */
  kafkaBrokers?: string[];
  /** Prefix of every topic and consumer group on the brokers, so deployments can share a cluster. */
  kafkaNamespace: string;
  kafkaCompression: 'none' | 'gzip';
  /** Base URLs of every ingest process, in one order shared by all (see services/ingest/src/ingest-router.ts). */
  ingestPeers: string[];
  /** RUNLOG_INGEST_URL: the ingest API the gateway sends its mutations to (default: this process's own, if it ingests). */
  ingestUrl: string | null;
  /** This process's position in ingestPeers. */
  ingestIndex: number;
  /** An S3 server for artifacts; when absent they live in the data dir. */
  s3?: S3Location;
  clickhouseUrl?: string;
  clickhouseUser?: string;
  clickhousePassword?: string;
  clickhouseDatabase: string;
  /** A running run not heard from (writes, heartbeats) for this long is marked stale; 0: never. */
  staleAfterMs: number;
  /** Load shedding of metric batches (services/ingest/src/admission/ingest-admission.ts); 0: no lag limit. */
  ingestMaxConcurrentBatches: number;
  ingestMaxProjectionLag: number;
  projectorBatchRecords: number;
  projectorMaxInsertRows: number;
  /** /healthz turns degraded when the projector's position has not moved for this long while there is lag. */
  projectorStallMs: number;
  /** How often the projector checks the experiments' raw-point age limits and applies a change to stored points. */
  retentionCheckMs: number;
  logLevel: string;
  faultProjectorCrashAfterInsertedBatches?: number;
  faultProjectorCrashTopic?: string;
  /** What a GraphQL request may ask for (services/gateway/src/limits/graphql-limits.ts). */
  graphql: GraphqlLimitsConfig;
  /** Who may do what (services/standalone/src/access/auth-config.ts). */
  auth: AuthSettings;
  /** Requests and metric points per second per token or JWT principal (the rate-limit variables). */
  rateLimits: RateLimitConfig;
  /** RUNLOG_AUDIT_SIGNING_KEY_FILE, RUNLOG_AUDIT_CHECKPOINT_MS (libs/audit/src/checkpoint-store.ts). */
  auditCheckpoints: CheckpointConfig;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return value;
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(values as readonly string[]).includes(raw))
    throw new Error(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
  return raw as T;
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw !== 'true' && raw !== 'false') throw new Error(`${name} must be true or false, got "${raw}"`);
  return raw === 'true';
}

function roles(raw: string | undefined): Role[] {
  if (!raw) return [...ROLES];
  const names = raw.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(ROLES as readonly string[]).includes(name)) {
      throw new Error(`RUNLOG_ROLES: unknown role "${name}" (expected ${ROLES.join(', ')})`);
    }
  }
  return names as Role[];
}

function kafkaNamespace(raw: string): string {
  // Kafka topic names allow ASCII letters, digits, '.', '_' and '-'; the namespace becomes part of each.
  if (!/^[A-Za-z0-9._-]{0,100}$/.test(raw)) {
    throw new Error(`RUNLOG_KAFKA_NAMESPACE may hold only letters, digits, '.', '_' and '-', got "${raw}"`);
  }
  return raw;
}

function ingestPeers(env: NodeJS.ProcessEnv): { ingestPeers: string[]; ingestIndex: number } {
  // Only ingest processes route; a projector or gateway given the same environment ignores the peers.
  if (!roles(env.RUNLOG_ROLES).includes('ingest')) return { ingestPeers: [], ingestIndex: 0 };
  const peers = (env.RUNLOG_INGEST_PEERS ?? '')
    .split(',')
    .map((peer) => peer.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  if (peers.length <= 1) return { ingestPeers: peers, ingestIndex: 0 };
  for (const peer of peers) {
    if (!/^https?:\/\/[^/]+$/.test(peer))
      throw new Error(`RUNLOG_INGEST_PEERS: "${peer}" is not a base URL like http://host:port`);
  }
  if (!env.RUNLOG_KAFKA_BROKERS) {
    throw new Error(
      'RUNLOG_INGEST_PEERS needs RUNLOG_KAFKA_BROKERS: the embedded log belongs to one process',
    );
  }
  if (!env.RUNLOG_S3_ENDPOINT) {
    // An upload is stored by the process that receives it and recorded by the run's owner, which checks the store.
    throw new Error(
      'RUNLOG_INGEST_PEERS needs RUNLOG_S3_ENDPOINT: every ingest process must share the artifact store',
    );
  }
  // A StatefulSet's pod is named <set>-<ordinal>: RUNLOG_INGEST_INDEX=hostname-ordinal takes it from HOSTNAME.
  const raw = env.RUNLOG_INGEST_INDEX ?? '';
  const ordinal = raw === 'hostname-ordinal' ? /-(\d+)$/.exec(env.HOSTNAME ?? '')?.[1] : raw;
  const index = Number(ordinal);
  if (
    ordinal === undefined ||
    ordinal === '' ||
    !Number.isInteger(index) ||
    index < 0 ||
    index >= peers.length
  ) {
    throw new Error(
      `RUNLOG_INGEST_INDEX must be this process's position in RUNLOG_INGEST_PEERS (0..${peers.length - 1}), got "${raw}"`,
    );
  }
  return { ingestPeers: peers, ingestIndex: index };
}

function ingestUrl(env: NodeJS.ProcessEnv): string | null {
  const raw = env.RUNLOG_INGEST_URL?.trim();
  if (!raw) return null;
  if (!/^https?:\/\/[^/\s]+$/.test(raw.replace(/\/$/, ''))) {
    throw new Error(`RUNLOG_INGEST_URL: "${raw}" is not a base URL like http://host:port`);
  }
  return raw.replace(/\/$/, '');
}

const DEFAULT_MAX_PROJECTION_LAG = 64;

function sharesCores(env: NodeJS.ProcessEnv): boolean {
  const running = roles(env.RUNLOG_ROLES);
  return !env.RUNLOG_KAFKA_BROKERS && running.includes('ingest') && running.includes('projector');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): RunlogConfig {
  const host = env.RUNLOG_HOST || '127.0.0.1';
  return {
    auth: loadAuthSettings(env, host),
    rateLimits: rateLimitConfigFromEnv(env),
    auditCheckpoints: checkpointConfigFromEnv(env),
    s3: s3LocationFromEnv(env),
    ...ingestPeers(env),
    ingestUrl: ingestUrl(env),
    roles: roles(env.RUNLOG_ROLES),
    host,
    port: integer(env, 'RUNLOG_PORT', integer(env, 'PORT', 8080, 0), 0),
    dataDir: resolve(env.RUNLOG_DATA_DIR || '.runlog'),
    maxBodyBytes: integer(env, 'RUNLOG_MAX_BODY_BYTES', 32 * 1024 * 1024, 1024),
    maxArtifactBytes: integer(env, 'RUNLOG_MAX_ARTIFACT_BYTES', 5 * 1024 ** 3, 0),
    kafkaBrokers: env.RUNLOG_KAFKA_BROKERS
      ? env.RUNLOG_KAFKA_BROKERS.split(',')
          .map((broker) => broker.trim())
          .filter(Boolean)
      : undefined,
    kafkaNamespace: kafkaNamespace(env.RUNLOG_KAFKA_NAMESPACE ?? ''),
    kafkaCompression: oneOf(env, 'RUNLOG_KAFKA_COMPRESSION', ['none', 'gzip'] as const, 'none'),
    clickhouseUrl: env.RUNLOG_CLICKHOUSE_URL || undefined,
    clickhouseUser: env.RUNLOG_CLICKHOUSE_USER || undefined,
    clickhousePassword: env.RUNLOG_CLICKHOUSE_PASSWORD || undefined,
    clickhouseDatabase: env.RUNLOG_CLICKHOUSE_DATABASE || 'runlog',
    staleAfterMs: integer(env, 'RUNLOG_STALE_AFTER_MS', 15 * 60_000, 0),
    ingestMaxConcurrentBatches: integer(env, 'RUNLOG_INGEST_MAX_CONCURRENT_BATCHES', 8, 1),
    // On by default only where ingest and projection share one process and one log file: their cores are shared.
    ingestMaxProjectionLag: integer(
      env,
      'RUNLOG_INGEST_MAX_PROJECTION_LAG',
      sharesCores(env) ? DEFAULT_MAX_PROJECTION_LAG : 0,
      0,
    ),
    projectorBatchRecords: integer(env, 'RUNLOG_PROJECTOR_BATCH_RECORDS', 200, 1),
    projectorMaxInsertRows: integer(env, 'RUNLOG_PROJECTOR_MAX_INSERT_ROWS', 500_000, 1),
    projectorStallMs: integer(env, 'RUNLOG_PROJECTOR_STALL_MS', 60_000, 1),
    retentionCheckMs: integer(env, 'RUNLOG_RETENTION_CHECK_MS', 60_000, 100),
    logLevel: env.RUNLOG_LOG_LEVEL || 'warn',
    faultProjectorCrashAfterInsertedBatches: env.RUNLOG_FAULT_PROJECTOR_CRASH_AFTER_BATCHES
      ? integer(env, 'RUNLOG_FAULT_PROJECTOR_CRASH_AFTER_BATCHES', 0, 1)
      : undefined,
    // A misspelt topic would never crash and leave the test waiting: only the projected topics are accepted.
    faultProjectorCrashTopic: env.RUNLOG_FAULT_PROJECTOR_CRASH_TOPIC
      ? oneOf(
          env,
          'RUNLOG_FAULT_PROJECTOR_CRASH_TOPIC',
          ['runlog.lifecycle', 'runlog.metrics'] as const,
          'runlog.metrics',
        )
      : undefined,
    // Limits a dashboard never meets: the queries the tests and README send reach depth 5, 3 aliases, ~100
    // tokens; one listing of 10,000 runs with 11 columns costs 120,000, and a page of 5,000 runs with their params
    // and metric summaries (docs/graphql.md, one query per field since they are batched) 330,000: both pass.
    graphql: {
      introspection: flag(env, 'RUNLOG_GRAPHQL_INTROSPECTION', env.NODE_ENV !== 'production'),
      maxDepth: integer(env, 'RUNLOG_GRAPHQL_MAX_DEPTH', 10, 1),
      maxAliases: integer(env, 'RUNLOG_GRAPHQL_MAX_ALIASES', 50, 0),
      maxDirectives: integer(env, 'RUNLOG_GRAPHQL_MAX_DIRECTIVES', 20, 0),
      maxTokens: integer(env, 'RUNLOG_GRAPHQL_MAX_TOKENS', 2000, 100),
      maxCost: integer(env, 'RUNLOG_GRAPHQL_MAX_COST', 400_000, 1),
      maxSubscriptions: integer(env, 'RUNLOG_GRAPHQL_MAX_SUBSCRIPTIONS', 1000, 1),
      maxSubscriptionsPerConnection: integer(env, 'RUNLOG_GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION', 20, 1),
      subscriptionBuffer: integer(env, 'RUNLOG_GRAPHQL_SUBSCRIPTION_BUFFER', 16, 1),
      subscriptionStallMs: integer(env, 'RUNLOG_GRAPHQL_SUBSCRIPTION_STALL_MS', 10_000, 100),
      subscriptionKeepAliveMs: integer(env, 'RUNLOG_GRAPHQL_SUBSCRIPTION_KEEP_ALIVE_MS', 12_000, 0),
      maxLivePoints: integer(env, 'RUNLOG_GRAPHQL_MAX_LIVE_POINTS', 5_000_000, 2),
    },
  };
}
