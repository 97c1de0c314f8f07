import { Args, Context, Float, ID, Query, Resolver } from '@nestjs/graphql';
import { principalOf } from '../../../../libs/access/src';
import { ValidationError } from '../../../../libs/domain/src/errors';
import type { ReadScope } from '../../../../libs/store/src';
import { ReadScopeOfCaller } from '../access/read-scope.decorator';
import { LIST_BOUNDS, ListSize, sizedListCost } from '../limits/list-sizes';
import { AuditTrail, RunAsOf } from './time-travel.models';
import { TimeTravelService } from './time-travel.service';

const LATEST_INSTANT = 10_000_000_000_000;

function instant(value: number | null | undefined, field: string): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0 || value >= LATEST_INSTANT) {
    throw new ValidationError(
      `${field} must be epoch milliseconds, a whole number from 0 to ${LATEST_INSTANT - 1}`,
      field,
    );
  }
  return value;
}

@Resolver()
export class TimeTravelResolver {
  constructor(private readonly service: TimeTravelService) {}

  @Query(() => AuditTrail, {
    description:
      "A stream's events recorded within [from, to] (epoch ms, both optional), in log order, read from the log as " +
      'recorded. Streams are `run:<id>`, `experiment:<id>`, `sweep:<id>`, `metrics:<runId>`; `token:` and ' +
      '`deadletter:` streams need admin in their workspace.',
    complexity: sizedListCost(LIST_BOUNDS.auditTrail),
  })
  auditTrail(
    @Args('stream') stream: string,
    @ListSize(LIST_BOUNDS.auditTrail) limit: number,
    @ReadScopeOfCaller() scope: ReadScope,
    @Context('req') request: object,
    @Args('from', { type: () => Float, nullable: true }) from?: number | null,
    @Args('to', { type: () => Float, nullable: true }) to?: number | null,
  ): Promise<AuditTrail> {
    if (stream.length === 0 || stream.length > 512)
      throw new ValidationError('stream must be 1 to 512 characters', 'stream');
    const fromMs = instant(from, 'from');
    const toMs = instant(to, 'to');
    if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) {
      throw new ValidationError('from must not be after to', 'from');
    }
    return this.service.auditTrail(
      stream,
      { fromMs, toMs, limit },
      { scope, principal: principalOf(request) },
    );
  }

  @Query(() => RunAsOf, {
    nullable: true,
    description:
      'The run as it was at `asOf` (epoch ms): its events recorded up to then, read from the log and folded, not ' +
      'the latest snapshot. Null when the run did not exist yet (or is of a workspace the caller cannot read).',
  })
  runAsOf(
    @Args('runId', { type: () => ID }) runId: string,
    @Args('asOf', { type: () => Float }) asOf: number,
    @ReadScopeOfCaller() scope: ReadScope,
  ): Promise<RunAsOf | null> {
    return this.service.runAsOf(runId, instant(asOf, 'asOf')!, scope);
  }
}
