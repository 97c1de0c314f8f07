import { parseArgs } from 'node:util';
import {
  AUDITED_TOPICS,
  auditWithCheckpoints,
  checkpointConfigFromEnv,
  writeAuditBundle,
  type ChainBreak,
  type CheckedAuditReport,
} from '../../../libs/audit/src';
import { openArtifactStoreAt, s3LocationFromEnv } from '../../../libs/artifacts/src/open-artifact-store';
import {
  describeEventLogLocation,
  eventLogLocationFromEnv,
  openEventLogAt,
} from '../../../libs/log/src/open-event-log';
import { ProgressLine, type ProgressSink } from './progress';

export interface OperatorCliDependencies {
  env: Record<string, string | undefined>;
  stdout: { write(text: string): unknown };
  stderr: ProgressSink;
  now?: () => number;
}

export class OperatorUsageError extends Error {}

const NUMBER = new Intl.NumberFormat('en-US');

export const AUDIT_VERIFY_USAGE = `runlog audit verify [--topics <topic,...>] [--json]

Reads the whole log (RUNLOG_DATA_DIR's embedded log, or Kafka at RUNLOG_KAFKA_BROKERS in RUNLOG_KAFKA_NAMESPACE),
recomputes every event's hash, every stream's chain and every partition's Merkle tree, compares the trees with the
signed checkpoints in the artifact store (RUNLOG_S3_* or the data dir; key: RUNLOG_AUDIT_PUBLIC_KEY_FILE, or the signing key), and
names each broken link: stream, position, offset, expected and found hash. Progress goes to stderr.

  --topics   the topics to audit (default: ${AUDITED_TOPICS.join(',')})
  --json     print the whole report as JSON on stdout

Exit code: 0 when the history is intact, 1 when it is broken or the log cannot be read, 2 for a bad command line.
`;

function parse(argv: readonly string[]): { topics: string[]; json: boolean } {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { topics: { type: 'string' }, json: { type: 'boolean', default: false } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length > 0) throw new OperatorUsageError(`unexpected argument "${positionals[0]}"`);
    const topics =
      values.topics === undefined
        ? [...AUDITED_TOPICS]
        : values.topics
            .split(',')
            .map((topic) => topic.trim())
            .filter(Boolean);
    if (topics.length === 0) throw new OperatorUsageError('--topics names no topic');
    for (const topic of topics) {
      if (!AUDITED_TOPICS.includes(topic)) {
        throw new OperatorUsageError(
          `--topics: "${topic}" is not a Runlog topic (${AUDITED_TOPICS.join(', ')})`,
        );
      }
    }
    return { topics, json: values.json ?? false };
  } catch (error) {
    if (error instanceof OperatorUsageError) throw error;
    throw new OperatorUsageError(error instanceof Error ? error.message : String(error));
  }
}

export function describeBreak(found: ChainBreak): string {
  const where = `${found.topic}/${found.partition}`;
  switch (found.reason) {
    case 'hash_mismatch':
      return (
        `event ${found.eventId} at position ${found.position} of ${found.stream} (${where} offset ${found.offset}) ` +
        `was edited: its fields hash to ${found.expected}, its stored hash is ${found.found}`
      );
    case 'prev_hash_mismatch':
      return (
        `event ${found.eventId} at position ${found.position} of ${found.stream} (${where} offset ${found.offset}) ` +
        `does not follow the event before it: expected prevHash ${found.expected}, found ${found.found} ` +
        '(an event was deleted, inserted or moved before it)'
      );
    case 'checkpoint_mismatch':
      return (
        `${where} was rewritten: its first ${found.treeSize} events have root ${found.found}, the signed checkpoint ` +
        `says ${found.expected}; the rewrite is among events ${found.sinceTreeSize} to ${found.treeSize}`
      );
    case 'truncated':
      return `${where} was cut: a signed checkpoint counted ${found.expected} events, the log holds ${found.found}`;
  }
}

export function summarize(report: CheckedAuditReport): string {
  const lines: string[] = [];
  const scope = `${NUMBER.format(report.events)} events in ${NUMBER.format(report.streams)} streams, ${report.heads.length} partitions`;
  if (report.ok) {
    const against = report.checkpointsKnown
      ? `${report.checkpointsChecked} signed checkpoints compared`
      : 'no key configured (RUNLOG_AUDIT_PUBLIC_KEY_FILE), so no checkpoint compared';
    lines.push(`The history is intact: ${scope}, ${against}.`);
  } else {
    lines.push(
      `The history is BROKEN: ${NUMBER.format(report.breakCount)} breaks in ${scope}. In log order:`,
    );
    for (const found of report.breaks) lines.push(`  ${found.reason}: ${describeBreak(found)}`);
    for (const refused of report.refusedCheckpoints) {
      lines.push(`  refused checkpoint ${refused.key}: ${refused.reason}`);
    }
    if (report.breakCount > report.breaks.length) {
      lines.push(`  … and ${NUMBER.format(report.breakCount - report.breaks.length)} more`);
    }
  }
  for (const head of report.heads) {
    lines.push(
      `  ${head.topic}/${head.partition}: ${NUMBER.format(head.treeSize)} events, root ${head.rootHash}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `runlog audit verify`: resolves to the exit code. */
export async function auditVerify(
  argv: readonly string[],
  dependencies: OperatorCliDependencies,
): Promise<number> {
  const { topics, json } = parse(argv);
  const location = eventLogLocationFromEnv(dependencies.env);
  const checkpoints = checkpointConfigFromEnv(dependencies.env);
  const store = await openArtifactStoreAt(s3LocationFromEnv(dependencies.env), location.dataDir);
  dependencies.stderr.write(`runlog audit verify: reading ${describeEventLogLocation(location)}\n`);
  const log = await openEventLogAt(location, { clientId: 'runlog-audit', mustExist: true });
  try {
    const progress = new ProgressLine(dependencies.stderr, {
      label: 'audit',
      // Offsets, not records: the embedded log numbers all topics together, so a topic's range holds gaps.
      unit: 'offsets',
      ...(dependencies.now ? { now: dependencies.now } : {}),
    });
    const report = await auditWithCheckpoints(log, store, checkpoints, {
      topics,
      onProgress: ({ read, total, topic, partition }) =>
        partition < 0 ? progress.finish(read, total) : progress.update(read, total, `${topic}/${partition}`),
    });
    dependencies.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : summarize(report));
    return report.ok ? 0 : 1;
  } finally {
    await log.close();
  }
}

export const AUDIT_EXPORT_USAGE = `runlog audit export --out <folder> [--topics <topic,...>]

The topics default to those kept forever and checkpointed (runlog.lifecycle, runlog.registry, runlog.access).

Writes an audit bundle: every event of the topics as recorded, the signed checkpoints and the public key, which a
third party checks offline with \`runlog-verify <folder> --key <public key>\` alone (libs/audit-verifier).
Reads the log and the artifact store as \`runlog audit verify\` does. Progress goes to stderr.
`;

/** `runlog audit export`: resolves to the exit code. */
export async function auditExport(
  argv: readonly string[],
  dependencies: OperatorCliDependencies,
): Promise<number> {
  let out: string | undefined;
  let rest: string[] = [];
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: { out: { type: 'string' }, topics: { type: 'string' } },
      strict: true,
    });
    out = parsed.values.out;
    if (parsed.values.topics !== undefined) rest = ['--topics', parsed.values.topics];
  } catch (error) {
    throw new OperatorUsageError(error instanceof Error ? error.message : String(error));
  }
  if (!out) throw new OperatorUsageError('--out names the folder to write the bundle to');
  // By default the topics that are checkpointed: a partition no checkpoint vouches for fails runlog-verify.
  const topics = rest.length > 0 ? parse(rest).topics : undefined;
  const location = eventLogLocationFromEnv(dependencies.env);
  const checkpoints = checkpointConfigFromEnv(dependencies.env);
  const store = await openArtifactStoreAt(s3LocationFromEnv(dependencies.env), location.dataDir);
  dependencies.stderr.write(`runlog audit export: reading ${describeEventLogLocation(location)}\n`);
  const log = await openEventLogAt(location, { clientId: 'runlog-audit', mustExist: true });
  try {
    const progress = new ProgressLine(dependencies.stderr, {
      label: 'export',
      unit: 'offsets',
      ...(dependencies.now ? { now: dependencies.now } : {}),
    });
    const summary = await writeAuditBundle(log, store, checkpoints, out, {
      ...(topics ? { topics } : {}),
      onProgress: ({ read, total, topic, partition }) =>
        partition < 0 ? progress.finish(read, total) : progress.update(read, total, `${topic}/${partition}`),
    });
    dependencies.stdout.write(
      `Wrote ${summary.folder}: ${NUMBER.format(summary.events)} events in ${summary.partitions} partitions, ` +
        `${summary.checkpoints} signed checkpoints${checkpoints.verifyKey ? '' : ' (no key configured)'}.\n`,
    );
    return 0;
  } finally {
    await log.close();
  }
}
