import { Inject, Injectable } from '@nestjs/common';
import { chainIntact } from '../../../../libs/audit/src';
import { foldModel, foldNameClaim } from '../../../../libs/domain/src/folds';
import type { LiveModelState } from '../../../../libs/domain/src/model/model.state';
import {
  registryStreams,
  type ModelAliasDeleted,
  type ModelAliasSet,
  type ModelStageTransitioned,
} from '../../../../libs/events/src/model-registry.events';
import {
  CLICKHOUSE,
  inReadScope,
  listRegisteredModels,
  listStreamEvents,
  readerFor,
  type ClickHouse,
  type ClickhouseReader,
  type ReadScope,
} from '../../../../libs/store/src';
import { TimeTravelService } from '../audit/time-travel.service';
import { toRegisteredModel } from './model-view';
import { ModelStageName, type ModelAsOf, type Promotion, type RegisteredModel } from './registry.models';

const PROMOTION_TYPES = ['model.stage_transitioned', 'model.alias_set', 'model.alias_deleted'];

/**
 * The registry's reads: models from their projected state, promotions from the projected events, and a model as it
 * was at an instant from the log itself (its name's claims, then its own stream, folded up to then).
 */
@Injectable()
export class RegistryReadsService {
  private readonly reader: ClickhouseReader;

  constructor(
    @Inject(CLICKHOUSE) ch: ClickHouse,
    private readonly timeTravel: TimeTravelService,
  ) {
    this.reader = readerFor(ch);
  }

  async models(
    scope: ReadScope,
    options: {
      nameContains?: string;
      name?: string;
      workspace?: string;
      includeDeleted?: boolean;
      limit: number;
    },
  ): Promise<RegisteredModel[]> {
    const within = options.workspace === undefined ? scope : narrow(scope, options.workspace);
    const rows = await listRegisteredModels(this.reader, within, options);
    return rows.map((row) => toRegisteredModel(JSON.parse(row.stateJson) as LiveModelState, row.workspace));
  }

  async promotions(model: RegisteredModel, limit: number): Promise<Promotion[]> {
    const rows = await listStreamEvents(
      this.reader,
      registryStreams.model(model.modelId),
      PROMOTION_TYPES,
      limit,
    );
    return rows.map((row) => {
      const base = {
        eventId: row.id,
        at: row.recordedAt,
        actor: row.actor,
        onBehalfOf: row.onBehalfOf,
        hash: row.hash,
      };
      if (row.type === 'model.stage_transitioned') {
        const payload = JSON.parse(row.payloadJson) as ModelStageTransitioned['payload'];
        return {
          ...base,
          kind: 'stage',
          version: payload.version,
          stage: payload.stage as ModelStageName,
          previousStage: payload.previousStage as ModelStageName,
          alias: null,
          previousHolder: payload.displacedVersion,
          reason: payload.reason,
          approval: payload.approval,
        };
      }
      if (row.type === 'model.alias_set') {
        const payload = JSON.parse(row.payloadJson) as ModelAliasSet['payload'];
        return {
          ...base,
          kind: 'alias_set',
          version: payload.version,
          stage: null,
          previousStage: null,
          alias: payload.alias,
          previousHolder: payload.previousVersion,
          reason: payload.reason,
          approval: payload.approval,
        };
      }
      const payload = JSON.parse(row.payloadJson) as ModelAliasDeleted['payload'];
      return {
        ...base,
        kind: 'alias_deleted',
        version: payload.previousVersion,
        stage: null,
        previousStage: null,
        alias: payload.alias,
        previousHolder: payload.previousVersion,
        reason: payload.reason,
        approval: null,
      };
    });
  }

  /**
   * The model that held `name` in `workspace` at `asOfMs`, as it was then: the name's claim stream and then the
   * model's stream, each read from the log up to that instant and folded. Null when no model had the name then.
   */
  async modelAsOf(
    name: string,
    workspace: string,
    asOfMs: number,
    scope: ReadScope,
  ): Promise<ModelAsOf | null> {
    if (!inReadScope(scope, workspace)) return null;
    const claims = await this.recorded(registryStreams.name('model', workspace, name), asOfMs, scope);
    const holder = foldNameClaim(claims).holder;
    if (holder === null) return null;
    const events = await this.recorded(registryStreams.model(holder), asOfMs, scope);
    const state = foldModel(events);
    if (state.status === 'absent' || events[0]?.workspace !== workspace) return null;
    return {
      asOf: asOfMs,
      model: toRegisteredModel(state, workspace),
      eventsFolded: events.length,
      chainIntact: chainIntact(events, true) && chainIntact(claims, true),
    };
  }

  private async recorded(stream: string, asOfMs: number, scope: ReadScope) {
    return (await this.timeTravel.recordedUpTo(stream, asOfMs, 'asOf', scope)).map((record) => record.event);
  }
}

function narrow(scope: ReadScope, workspace: string): ReadScope {
  return inReadScope(scope, workspace) ? [workspace] : [];
}
