import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { unsizedListCost } from '../limits/list-sizes';
import { ModelStageName } from '../registry/registry.models';
import {
  Artifact,
  CodeContext,
  EnvironmentContext,
  HardwareContext,
  KeyValue,
  RunInput,
} from '../runs/runs.models';

/** Lists read whole with the lineage (one query each, not one per item): a typical size, not a cap. */
const READ_WITH_LINEAGE = unsizedListCost({ queryPerParent: false });

@ObjectType({ description: 'A sweep a run belongs to: how its trials were chosen and what they optimise.' })
export class LineageSweep {
  @Field(() => ID) sweepId!: string;
  @Field() name!: string;
  @Field({ description: 'grid | random | bayes | manual' }) method!: string;
  @Field(() => String, { nullable: true }) objectiveMetric!: string | null;
  @Field(() => String, { nullable: true, description: 'minimize | maximize' }) objectiveGoal!: string | null;
}

@ObjectType({ description: 'A run named by another: its id, name, status and experiment.' })
export class LineageRunRef {
  @Field(() => ID) runId!: string;
  @Field() name!: string;
  @Field() status!: string;
  @Field(() => ID) experimentId!: string;
  @Field(() => String, { nullable: true }) experimentName!: string | null;
}

@ObjectType({ description: 'The run a model version was made from.' })
export class LineageRun {
  @Field(() => ID) runId!: string;
  @Field() workspace!: string;
  @Field() name!: string;
  @Field({ description: 'queued | running | stale | finished | failed | killed' }) status!: string;
  @Field({ description: 'Soft-deleted since the version was registered.' }) deleted!: boolean;
  @Field(() => ID) experimentId!: string;
  @Field(() => String, { nullable: true, description: 'Null when the experiment is not projected (yet).' })
  experimentName!: string | null;
  @Field(() => Float, { description: 'Epoch milliseconds.' }) createdAt!: number;
  @Field(() => Float, { nullable: true, description: 'Null while queued.' }) startTime!: number | null;
  @Field(() => Float, { nullable: true }) endTime!: number | null;
  @Field(() => LineageSweep, { nullable: true }) sweep!: LineageSweep | null;
  @Field(() => LineageRunRef, { nullable: true, description: 'The run this one is a child of.' })
  parent!: LineageRunRef | null;
  @Field(() => [KeyValue], { complexity: READ_WITH_LINEAGE }) params!: KeyValue[];
  @Field(() => [KeyValue], { complexity: READ_WITH_LINEAGE }) tags!: KeyValue[];
}

@ObjectType({
  description:
    'Where a model version came from: its run, the datasets the run read (by digest), the code and environment it ' +
    "captured, and the run's artifacts; `openLineage` is the same as an OpenLineage RunEvent.",
})
export class ModelLineage {
  @Field() workspace!: string;
  @Field(() => ID) modelId!: string;
  @Field() model!: string;
  @Field(() => Int) version!: number;
  @Field({ description: "sha256 of the version's artifact, as the run recorded it." }) sha256!: string;
  @Field() artifactPath!: string;
  @Field(() => ModelStageName) stage!: ModelStageName;
  @Field(() => [String]) aliases!: string[];
  @Field(() => Float) registeredAt!: number;
  @Field() registeredBy!: string;
  @Field(() => ID, { description: 'The run the version was made from, as the registry recorded it.' })
  runId!: string;
  @Field(() => LineageRun, {
    nullable: true,
    description: 'Null when the run is not projected (yet) or not visible to the caller.',
  })
  run!: LineageRun | null;
  @Field(() => [RunInput], { complexity: READ_WITH_LINEAGE, description: 'The datasets the run read.' })
  inputs!: RunInput[];
  @Field(() => CodeContext, { nullable: true, description: 'The code the run captured (git).' })
  code!: CodeContext | null;
  @Field(() => EnvironmentContext, { nullable: true }) environment!: EnvironmentContext | null;
  @Field(() => HardwareContext, { nullable: true }) hardware!: HardwareContext | null;
  @Field(() => [KeyValue], { description: 'Random seeds by name (values as strings).' }) seeds!: KeyValue[];
  @Field(() => [Artifact], {
    complexity: READ_WITH_LINEAGE,
    description: "The run's artifacts, latest upload per path.",
  })
  artifacts!: Artifact[];
}

@ObjectType({ description: 'A run an impact query reached, and how.' })
export class ImpactedRun {
  @Field(() => ID) runId!: string;
  @Field() workspace!: string;
  @Field() name!: string;
  @Field() status!: string;
  @Field() deleted!: boolean;
  @Field(() => ID) experimentId!: string;
  @Field(() => ID, { nullable: true }) parentRunId!: string | null;
  @Field({
    description: 'datasetDigest or commit (the run used it), or parentRun (a descendant of one that did).',
  })
  reachedThrough!: string;
  @Field(() => Int, { description: '0 for a run that used it, n for a descendant n generations down.' })
  depth!: number;
}

@ObjectType({ description: 'A version of a live model made from an impacted run.' })
export class ImpactedModelVersion {
  @Field() workspace!: string;
  @Field(() => ID) modelId!: string;
  @Field() model!: string;
  @Field(() => Int) version!: number;
  @Field(() => ID) runId!: string;
  @Field() artifactPath!: string;
  @Field() sha256!: string;
  @Field(() => ModelStageName) stage!: ModelStageName;
  @Field(() => [String]) aliases!: string[];
}

@ObjectType({
  description:
    'What a dataset version or a commit reached: the runs that used it, their descendants, and the model ' +
    'versions made from any of them.',
})
export class Impact {
  @Field(() => [ImpactedRun], {
    description: 'Runs that used it first (oldest first), then descendants by depth.',
  })
  runs!: ImpactedRun[];
  @Field(() => [ImpactedModelVersion], { description: 'By model name, then version.' })
  modelVersions!: ImpactedModelVersion[];
  @Field({
    description:
      'True when more runs were reached than `limit` (or deeper than the descent bound): a partial answer.',
  })
  truncated!: boolean;
}
