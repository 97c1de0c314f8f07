import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import type { InputView } from '../../../../libs/store/src';

/**
 * A metric value: a JSON number, or the string "NaN", "Infinity" or "-Infinity". GraphQL's Float cannot carry
 * those, and a logged NaN loss is a fact a dashboard must show, not a null or an error.
 */
function parseMetricValue(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  throw new GraphQLError('MetricValue must be a number, "NaN", "Infinity" or "-Infinity"');
}

export const MetricValueScalar = new GraphQLScalarType<number, number | string>({
  name: 'MetricValue',
  description: 'A number, or "NaN", "Infinity" or "-Infinity" (kept as logged).',
  serialize(value) {
    if (typeof value !== 'number') throw new GraphQLError(`MetricValue cannot represent ${String(value)}`);
    if (Number.isFinite(value)) return value;
    return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  },
  parseValue: parseMetricValue,
  parseLiteral(ast) {
    if (ast.kind === Kind.FLOAT || ast.kind === Kind.INT) return Number(ast.value);
    if (ast.kind === Kind.STRING) return parseMetricValue(ast.value);
    throw new GraphQLError('MetricValue must be a number, "NaN", "Infinity" or "-Infinity"');
  },
});

@ObjectType({ description: 'A key and its value (params are stored as strings, as in MLflow).' })
export class KeyValue {
  @Field() key!: string;
  @Field() value!: string;
}

@ObjectType({ description: 'Per-metric summary of a run, for run pages, sorting and top-k.' })
export class MetricSummary {
  @Field() key!: string;
  @Field(() => MetricValueScalar, { description: 'Value at the highest step, as logged (may be NaN).' })
  last!: number;
  @Field(() => Float) lastStep!: number;
  @Field(() => Float, { nullable: true, description: 'Smallest finite value; null when there is none.' })
  min!: number | null;
  @Field(() => Float, { nullable: true, description: 'Largest finite value; null when there is none.' })
  max!: number | null;
  @Field(() => Float) count!: number;
}

@ObjectType()
export class CodeContext {
  @Field(() => String, { nullable: true }) commit?: string;
  @Field(() => String, { nullable: true }) branch?: string;
  @Field(() => String, { nullable: true }) remote?: string;
  @Field(() => Boolean, { nullable: true }) dirty?: boolean;
  @Field(() => String, { nullable: true, description: 'sha256 of `git diff HEAD` when dirty.' })
  diffDigest?: string;
  @Field(() => String, { nullable: true }) entryPoint?: string;
}

@ObjectType()
export class EnvironmentContext {
  @Field(() => String, { nullable: true }) runtime?: string;
  @Field(() => String, { nullable: true }) runtimeVersion?: string;
  @Field(() => String, { nullable: true }) platform?: string;
  @Field(() => String, { nullable: true }) arch?: string;
  @Field(() => String, { nullable: true }) lockfileDigest?: string;
  @Field(() => String, { nullable: true }) containerImageDigest?: string;
}

@ObjectType()
export class Gpu {
  @Field() model!: string;
  @Field(() => Float, { nullable: true }) memoryBytes?: number;
}

@ObjectType()
export class HardwareContext {
  @Field(() => String, { nullable: true }) cpuModel?: string;
  @Field(() => Int, { nullable: true }) cpuCount?: number;
  @Field(() => Float, { nullable: true }) memoryBytes?: number;
  @Field(() => [Gpu], { nullable: true }) gpus?: Gpu[];
}

@ObjectType({ description: 'What the client captured at run start.' })
export class RunContext {
  @Field(() => CodeContext, { nullable: true }) code?: CodeContext;
  @Field(() => EnvironmentContext, { nullable: true }) environment?: EnvironmentContext;
  @Field(() => HardwareContext, { nullable: true }) hardware?: HardwareContext;
  @Field(() => [KeyValue], { description: 'Random seeds by name (values as strings).' }) seeds!: KeyValue[];
  @Field(() => String, { nullable: true }) user?: string;
  @Field(() => String, { nullable: true }) host?: string;
}

@ObjectType()
export class InputTag {
  @Field() key!: string;
  @Field() value!: string;
}

/** A run input as the store reads it, as GraphQL shows it: tags as a sorted list. */
export function toRunInput(view: InputView): RunInput {
  return {
    ...view,
    tags: Object.keys(view.tags)
      .sort()
      .map((key) => ({ key, value: view.tags[key] })),
  };
}

@ObjectType({ description: 'A dataset a run read.' })
export class RunInput {
  @Field() runId!: string;
  @Field() name!: string;
  @Field() digest!: string;
  @Field(() => String, { nullable: true }) source!: string | null;
  @Field(() => String, { nullable: true }) split!: string | null;
  @Field(() => Float, { nullable: true }) rows!: number | null;
  @Field(() => String, { nullable: true }) schemaDigest!: string | null;
  @Field(() => String, { nullable: true, description: 'The schema as the client described it (JSON text).' })
  schema!: string | null;
  @Field(() => String, { nullable: true, description: "The client's profile of the data (JSON text)." })
  profile!: string | null;
  @Field(() => [InputTag], { description: "The input's own tags, by key." })
  tags!: InputTag[];
  @Field(() => Float) loggedAt!: number;
}

@ObjectType({ description: 'A file of a run: the latest upload to its path, traceable to the exact bytes.' })
export class Artifact {
  @Field() runId!: string;
  @Field() path!: string;
  @Field(() => Float) size!: number;
  @Field({ description: 'sha256 of the content.' }) digest!: string;
  @Field() contentType!: string;
  @Field(() => Float) loggedAt!: number;
}

@ObjectType()
export class Run {
  @Field(() => ID) id!: string;
  @Field() experimentId!: string;
  @Field({ description: 'The workspace it belongs to (the one its events were written in).' })
  workspace!: string;
  @Field() name!: string;
  @Field({ description: 'queued | running | stale | finished | failed | killed' }) status!: string;
  @Field(() => Float, { description: 'Epoch milliseconds.' }) createdAt!: number;
  @Field(() => Float, { nullable: true, description: 'Null while queued.' }) startTime!: number | null;
  @Field(() => Float, { nullable: true }) endTime!: number | null;
  @Field(() => String, { nullable: true }) failureReason!: string | null;
  @Field(() => String, { nullable: true }) stackTrace!: string | null;
  @Field(() => String, { nullable: true }) sweepId!: string | null;
  @Field(() => String, { nullable: true }) parentRunId!: string | null;
  @Field({ description: 'Soft-deleted: hidden from listings unless asked for.' }) deleted!: boolean;
  @Field() note!: string;
  @Field(() => RunContext, { nullable: true }) context!: RunContext | null;
}

@ObjectType()
export class Experiment {
  @Field(() => ID) id!: string;
  @Field({ description: 'The workspace it belongs to (the one its events were written in).' })
  workspace!: string;
  @Field() name!: string;
  @Field(() => Float) createdAt!: number;
  @Field() archived!: boolean;
  @Field(() => Int, {
    nullable: true,
    description:
      'Raw metric points older than this many days are dropped (rollups stay); null keeps them all.',
  })
  rawPointsMaxAgeDays!: number | null;
  @Field(() => [KeyValue], { description: 'Its tags, by key.' }) tags!: KeyValue[];
}

@ObjectType({ description: 'A hyperparameter sweep: its search space and objective; its runs name it.' })
export class Sweep {
  @Field(() => ID) id!: string;
  @Field() experimentId!: string;
  @Field({ description: 'The workspace it belongs to (the one its events were written in).' })
  workspace!: string;
  @Field() name!: string;
  @Field({ description: 'grid | random | bayes | manual' }) method!: string;
  @Field({ description: 'The search space as JSON.' }) searchSpace!: string;
  @Field(() => String, { nullable: true }) objectiveMetric!: string | null;
  @Field(() => String, { nullable: true, description: 'minimize | maximize' }) objectiveGoal!: string | null;
  @Field(() => Float) createdAt!: number;
}

@ObjectType()
export class MetricPoint {
  @Field(() => Float) step!: number;
  @Field(() => MetricValueScalar) value!: number;
  @Field(() => Float, { description: 'Epoch milliseconds.' }) timestamp!: number;
}

@ObjectType()
export class MetricSeries {
  @Field() runId!: string;
  @Field() key!: string;
  @Field(() => [MetricPoint]) points!: MetricPoint[];
  @Field(() => Float, { description: 'Raw points stored for this series.' }) totalPoints!: number;
  @Field({ description: 'True when points are bucket minima and maxima rather than every raw point.' })
  downsampled!: boolean;
  @Field(() => Int, {
    description:
      'Steps per stored row the answer was computed from: 1 for raw points, else a rollup bucket width.',
  })
  resolution!: number;
  @Field(() => Float, { description: 'Rows ClickHouse read to answer.' }) rowsRead!: number;
  @Field({
    description:
      "True when raw points of the range were dropped by the experiment's retention: the points then come from " +
      'the finest rollup still kept (resolution says which), not from every logged step.',
  })
  rawPointsExpired!: boolean;
}

@ObjectType({ description: 'How far the projections are behind the log, per topic partition.' })
export class ProjectionLag {
  @Field() topic!: string;
  @Field(() => Int) partition!: number;
  @Field(() => Float, { description: 'Next offset the projector will read.' }) committedOffset!: number;
  @Field(() => Float, { description: 'Next offset the log will write.' }) endOffset!: number;
  @Field(() => Float) lag!: number;
}

@ObjectType({
  description: 'One event of a stream, as the log recorded it: who, when, and its place in the hash chain.',
})
export class StreamEvent {
  @Field(() => ID) id!: string;
  @Field() type!: string;
  @Field({ description: 'The authenticated principal that wrote it.' }) actor!: string;
  @Field(() => String, {
    nullable: true,
    description:
      'Who the actor said it acted for (x-runlog-actor), kept only for a principal allowed to act for others.',
  })
  onBehalfOf!: string | null;
  @Field() workspace!: string;
  @Field(() => Float) occurredAt!: number;
  @Field(() => Float) recordedAt!: number;
  @Field(() => String, { nullable: true }) prevHash!: string | null;
  @Field() hash!: string;
  @Field(() => Float) offset!: number;
}
