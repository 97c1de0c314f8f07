import { Args, Int, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { ValidationError } from '../../../../libs/domain/src/errors';
import type { ImpactOrigin, ReadScope } from '../../../../libs/store/src';
import { ReadScopeOfCaller } from '../access/read-scope.decorator';
import { LIST_BOUNDS, ListSize, sizedListCost } from '../limits/list-sizes';
import { Impact, ModelLineage } from './lineage.models';
import { LineageService } from './lineage.service';
import { toOpenLineageRunEvent } from './openlineage';

/** A dataset digest as a run logs it (libs/events runInputSchema): `sha256:<hex>` and the like. */
const DATASET_DIGEST = /^[A-Za-z0-9:_-]{1,128}$/;
/** A git commit, full or abbreviated (at least 7 hex digits, as git abbreviates). */
const COMMIT = /^[0-9a-f]{7,64}$/;

@Resolver(() => ModelLineage)
export class LineageResolver {
  constructor(private readonly lineage: LineageService) {}

  @Query(() => ModelLineage, {
    nullable: true,
    description:
      'Where a model version came from: its run (experiment, sweep, parent, params, tags), the datasets the run ' +
      'read, its code, environment and artifacts. Null when no live model of that name (in `workspace`, else in ' +
      'any workspace the caller reads, the first by name) has that version.',
  })
  modelLineage(
    @Args('model') model: string,
    @Args('version', { type: () => Int }) version: number,
    @ReadScopeOfCaller() scope: ReadScope,
    @Args('workspace', { nullable: true }) workspace?: string,
  ): Promise<ModelLineage | null> {
    if (version < 1) throw new ValidationError('version must be 1 or more', 'version');
    return this.lineage.modelLineage(scope, { model, version, workspace });
  }

  @ResolveField(() => String, {
    description:
      'This lineage as an OpenLineage RunEvent (spec 2-0-2), JSON: job `runlog/<workspace>` named after the ' +
      'experiment, run.runId a UUID (derived with UUIDv5 from a Runlog run id that is not one; the Runlog id is ' +
      'in the runlog_run facet), inputs the datasets by digest, output the model version.',
  })
  openLineage(@Parent() lineage: ModelLineage): string {
    return JSON.stringify(toOpenLineageRunEvent(lineage));
  }

  @Query(() => Impact, {
    description:
      'What a dataset version (datasetDigest) or a code commit (commit: 7 to 64 hex digits; a shorter one matches ' +
      'runs that recorded the full commit, and the other way round) reached: the runs that used it, their ' +
      'descendants through parent runs, and the live model versions made from any of them. Give exactly one.',
    complexity: sizedListCost(LIST_BOUNDS.impactRuns),
  })
  impact(
    @ListSize(LIST_BOUNDS.impactRuns) limit: number,
    @ReadScopeOfCaller() scope: ReadScope,
    @Args('datasetDigest', { type: () => String, nullable: true }) datasetDigest?: string | null,
    @Args('commit', { type: () => String, nullable: true }) commit?: string | null,
    @Args('workspace', { nullable: true }) workspace?: string,
  ): Promise<Impact> {
    return this.lineage.impact(scope, originOf(datasetDigest ?? null, commit ?? null), { workspace, limit });
  }
}

function originOf(datasetDigest: string | null, commit: string | null): ImpactOrigin {
  if (datasetDigest === null && commit === null) {
    throw new ValidationError('impact needs datasetDigest or commit', 'datasetDigest');
  }
  if (datasetDigest !== null && commit !== null) {
    throw new ValidationError('impact takes datasetDigest or commit, not both', 'commit');
  }
  if (datasetDigest !== null) {
    if (!DATASET_DIGEST.test(datasetDigest)) {
      throw new ValidationError(
        'datasetDigest must be 1 to 128 letters, digits, ":", "_" or "-", as runs log it',
        'datasetDigest',
      );
    }
    return { datasetDigest };
  }
  const lowered = commit!.toLowerCase();
  if (!COMMIT.test(lowered)) throw new ValidationError('commit must be 7 to 64 hex digits', 'commit');
  return { commit: lowered };
}
