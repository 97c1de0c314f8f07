import { Inject } from '@nestjs/common';
import { Args, Query, Resolver } from '@nestjs/graphql';
import {
  AUDIT_CHECKPOINTS,
  AUDITED_TOPICS,
  auditProjection,
  PROJECTED_TOPICS,
  auditWithCheckpoints,
  type ChainBreak,
  type CheckedAuditReport,
  type CheckpointConfig,
  type ProjectionReport,
} from '../../../../libs/audit/src';
import { ARTIFACT_STORE, type ArtifactStore } from '../../../../libs/artifacts/src/artifact-store';
import { ValidationError } from '../../../../libs/domain/src/errors';
import { EVENT_LOG, type EventLog } from '../../../../libs/log/src/event-log';
import {
  CLICKHOUSE,
  inReadScope,
  PROJECTION_GROUP_ID,
  readerFor,
  type ClickHouse,
  type ReadScope,
} from '../../../../libs/store/src';
import { ReadScopeOfCaller } from '../access/read-scope.decorator';
import { AuditBreak, AuditReportModel, BreakReason } from './audit.models';
import { projectionSource } from './projection-source';

@Resolver(() => AuditReportModel)
export class AuditResolver {
  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(AUDIT_CHECKPOINTS) private readonly checkpoints: CheckpointConfig,
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouse,
    @Inject(PROJECTION_GROUP_ID) private readonly projectionGroupId: string,
  ) {}

  @Query(() => AuditReportModel, {
    description:
      "Reads the whole log and recomputes every event's hash, every stream's chain and every partition's Merkle " +
      'tree, compares them with the signed checkpoints in the artifact store, and names each break (stream, position, expected and found hash). Takes as long as reading the log: for ' +
      'a large one, `runlog audit verify` shows progress.',
  })
  async auditVerify(
    @ReadScopeOfCaller() scope: ReadScope,
    @Args('topics', { type: () => [String], nullable: true, description: 'Default: every Runlog topic.' })
    topics?: string[] | null,
    @Args('projections', {
      defaultValue: false,
      description:
        'Also compare the events table with the log, up to where projection has got: every event has its row, ' +
        'equal to it, and every row stands for an event.',
    })
    projections?: boolean,
  ): Promise<AuditReportModel> {
    for (const topic of topics ?? []) {
      if (!AUDITED_TOPICS.includes(topic)) {
        throw new ValidationError(
          `topics: ${JSON.stringify(topic.slice(0, 80))} is not a Runlog topic (${AUDITED_TOPICS.join(', ')})`,
          'topics',
        );
      }
    }
    const report = await auditWithCheckpoints(
      this.log,
      this.store,
      this.checkpoints,
      topics?.length ? { topics } : {},
    );
    const projection = projections
      ? await auditProjection(
          this.log,
          projectionSource(readerFor(this.clickhouse), this.log, this.projectionGroupId),
          PROJECTED_TOPICS.filter((topic) => !topics?.length || topics.includes(topic)),
        )
      : null;
    return toModel(report, projection, scope);
  }
}

function toModel(
  report: CheckedAuditReport,
  projection: ProjectionReport | null,
  scope: ReadScope,
): AuditReportModel {
  const breaks = report.breaks.map((found) => toBreak(found, scope));
  const projectionFindings = (projection?.findings ?? []).map((finding) => {
    const visible = inReadScope(scope, finding.workspace);
    return { ...finding, stream: visible ? finding.stream : null, eventId: visible ? finding.eventId : null };
  });
  return {
    ...report,
    ok: report.ok && (projection?.findingCount ?? 0) === 0,
    firstBreak: breaks[0] ?? null,
    breaks,
    projectionChecked: projection !== null,
    projectionEventsCompared: projection?.eventsCompared ?? 0,
    projectionFindings,
    projectionFindingCount: projection?.findingCount ?? 0,
  };
}

/** A break in a workspace the caller may not read keeps only where it is in the log, not what it names. */
function toBreak(found: ChainBreak, scope: ReadScope): AuditBreak {
  // Checkpoint breaks name no event; a break whose event names no workspace (edited away) shows no details.
  const visible = found.eventId === null || (found.workspace !== null && inReadScope(scope, found.workspace));
  return {
    reason: found.reason as BreakReason,
    topic: found.topic,
    partition: found.partition,
    offset: found.offset,
    stream: visible ? found.stream : null,
    position: visible ? found.position : null,
    eventId: visible ? found.eventId : null,
    expected: visible ? found.expected : null,
    found: visible ? found.found : null,
    treeSize: found.treeSize ?? null,
    sinceTreeSize: found.sinceTreeSize ?? null,
  };
}
