import type { ArtifactStore } from '../../artifacts/src/artifact-store';
import type { EventLog } from '../../log/src/event-log';
import { auditEventLog, type AuditScanOptions } from './audit-scan';
import { loadCheckpoints, type CheckpointConfig } from './checkpoint-store';
import type { AuditReport } from './log-auditor';

export interface CheckedAuditReport extends AuditReport {
  /** Records under checkpoints/ that do not verify with the key: someone wrote there who does not hold it. */
  refusedCheckpoints: { key: string; reason: string }[];
  /** False when no key is configured: the log was checked against itself only. */
  checkpointsKnown: boolean;
}

/**
 * The audit as the CLI and GraphQL run it: the log recomputed and compared with every signed checkpoint in the
 * artifact store that verifies with the configured key. A checkpoint that does not verify breaks the audit too.
 */
export async function auditWithCheckpoints(
  log: Pick<EventLog, 'read' | 'endOffsets'>,
  store: Pick<ArtifactStore, 'listRecords' | 'getRecord'>,
  config: Pick<CheckpointConfig, 'verifyKey'>,
  options: Omit<AuditScanOptions, 'checkpoints'> = {},
): Promise<CheckedAuditReport> {
  const stored = config.verifyKey
    ? await loadCheckpoints(store, config.verifyKey)
    : { heads: [], refused: [] };
  const topics = options.topics;
  const heads = topics ? stored.heads.filter((head) => topics.includes(head.topic)) : stored.heads;
  const report = await auditEventLog(log, { ...options, checkpoints: heads });
  return {
    ...report,
    ok: report.ok && stored.refused.length === 0,
    refusedCheckpoints: stored.refused,
    checkpointsKnown: config.verifyKey !== null,
  };
}
