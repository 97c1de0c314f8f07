/* Generated from the gateway's schema by npm run dashboard:types: do not edit. */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> =
  T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** HASH_MISMATCH: the event's fields do not hash to its stored hash (edited). PREV_HASH_MISMATCH: it does not link to the event before it in its stream (one was deleted, inserted or moved). CHECKPOINT_MISMATCH: the partition's Merkle root differs from a signed checkpoint (rewritten with recomputed hashes). TRUNCATED: the partition holds fewer events than a checkpoint counted. */
export type BreakReason = 'CHECKPOINT_MISMATCH' | 'HASH_MISMATCH' | 'PREV_HASH_MISMATCH' | 'TRUNCATED';

/** image (its bytes), histogram ({"edges": [...], "counts": [...]} JSON) or table ({"columns", "rows"} JSON). */
export type MediaKind = 'histogram' | 'image' | 'table';

/** MLflow's classic stages; Staging and Production are each held by at most one version. */
export type ModelStage = 'Archived' | 'None' | 'Production' | 'Staging';

/** A zoom: x range in the axis unit, both ends included. */
export type SeriesRange = {
  from?: number | null | undefined;
  to?: number | null | undefined;
};

/** x of a point: its step, its time (epoch ms), or ms since the run's first point among the keys asked. */
export type SeriesXAxis = 'RELATIVE_TIME' | 'STEP' | 'WALL_TIME';

export type ExperimentsQueryVariables = Exact<{ [key: string]: never }>;

export type ExperimentsQuery = {
  experiments: Array<{ id: string; name: string; workspace: string; archived: boolean; createdAt: number }>;
};

export type SearchRunsQueryVariables = Exact<{
  experimentIds?: Array<string | number> | string | number | null | undefined;
  sweepId?: string | number | null | undefined;
  filter?: string | null | undefined;
  orderBy?: Array<string> | string | null | undefined;
  first: number;
  after?: string | null | undefined;
}>;

export type SearchRunsQuery = {
  searchRuns: {
    edges: Array<{
      node: {
        id: string;
        name: string;
        status: string;
        experimentId: string;
        sweepId: string | null;
        createdAt: number;
        startTime: number | null;
        endTime: number | null;
        sweep: { id: string; name: string } | null;
        params: Array<{ key: string; value: string }>;
        tags: Array<{ key: string; value: string }>;
        metrics: Array<{
          key: string;
          last: number | 'NaN' | 'Infinity' | '-Infinity';
          min: number | null;
          max: number | null;
          lastStep: number;
        }>;
      };
    }>;
    pageInfo: { endCursor: string | null; hasNextPage: boolean };
  };
};

export type RunRowFragment = {
  id: string;
  name: string;
  status: string;
  experimentId: string;
  sweepId: string | null;
  createdAt: number;
  startTime: number | null;
  endTime: number | null;
  params: Array<{ key: string; value: string }>;
  tags: Array<{ key: string; value: string }>;
  metrics: Array<{
    key: string;
    last: number | 'NaN' | 'Infinity' | '-Infinity';
    min: number | null;
    max: number | null;
    lastStep: number;
  }>;
};

export type MetricSeriesQueryVariables = Exact<{
  runIds: Array<string | number> | string | number;
  keys: Array<string> | string;
  maxPoints: number;
  xAxis: SeriesXAxis;
  range?: SeriesRange | null | undefined;
}>;

export type MetricSeriesQuery = {
  metricSeries: {
    from: number | null;
    to: number | null;
    series: Array<{
      runId: string;
      key: string;
      worker: string | null;
      downsampled: boolean;
      totalPoints: number;
      bucketColumns: {
        x: Array<number | 'NaN' | 'Infinity' | '-Infinity' | null>;
        min: Array<number | 'NaN' | 'Infinity' | '-Infinity' | null>;
        max: Array<number | 'NaN' | 'Infinity' | '-Infinity' | null>;
        last: Array<number | 'NaN' | 'Infinity' | '-Infinity' | null>;
      };
      pointColumns: {
        x: Array<number | 'NaN' | 'Infinity' | '-Infinity' | null>;
        value: Array<number | 'NaN' | 'Infinity' | '-Infinity' | null>;
      };
    }>;
  };
};

export type RunStatusesQueryVariables = Exact<{
  ids: Array<string | number> | string | number;
}>;

export type RunStatusesQuery = {
  compareRuns: { runs: Array<{ id: string; name: string; status: string; startTime: number | null }> };
};

export type RunDetailQueryVariables = Exact<{
  id: string | number;
}>;

export type RunDetailQuery = {
  run: {
    workspace: string;
    note: string;
    failureReason: string | null;
    parentRunId: string | null;
    workers: Array<string>;
    id: string;
    name: string;
    status: string;
    experimentId: string;
    sweepId: string | null;
    createdAt: number;
    startTime: number | null;
    endTime: number | null;
    sweep: { id: string; name: string } | null;
    context: {
      host: string | null;
      user: string | null;
      code: {
        commit: string | null;
        branch: string | null;
        remote: string | null;
        dirty: boolean | null;
        entryPoint: string | null;
      } | null;
      environment: {
        runtime: string | null;
        runtimeVersion: string | null;
        platform: string | null;
        arch: string | null;
        containerImageDigest: string | null;
        lockfileDigest: string | null;
      } | null;
      hardware: {
        cpuCount: number | null;
        cpuModel: string | null;
        memoryBytes: number | null;
        gpus: Array<{ model: string; memoryBytes: number | null }> | null;
      } | null;
      seeds: Array<{ key: string; value: string }>;
    } | null;
    inputs: Array<{
      name: string;
      digest: string;
      source: string | null;
      split: string | null;
      rows: number | null;
    }>;
    artifacts: Array<{ path: string; size: number; contentType: string; digest: string; loggedAt: number }>;
    params: Array<{ key: string; value: string }>;
    tags: Array<{ key: string; value: string }>;
    metrics: Array<{
      key: string;
      last: number | 'NaN' | 'Infinity' | '-Infinity';
      min: number | null;
      max: number | null;
      lastStep: number;
    }>;
  } | null;
  runHistory: Array<{
    id: string;
    type: string;
    actor: string;
    occurredAt: number;
    recordedAt: number;
    hash: string;
  }>;
};

export type RunMediaQueryVariables = Exact<{
  id: string | number;
}>;

export type RunMediaQuery = {
  run: {
    id: string;
    media: Array<{
      key: string;
      step: number;
      kind: MediaKind;
      path: string;
      contentType: string;
      size: number;
      digest: string;
    }>;
  } | null;
};

export type CompareRunsQueryVariables = Exact<{
  ids: Array<string | number> | string | number;
}>;

export type CompareRunsQuery = {
  compareRuns: {
    runs: Array<{ id: string; name: string; status: string }>;
    rows: Array<{ section: string; key: string; values: Array<string | null>; differs: boolean }>;
  };
};

export type SweepSummaryQueryVariables = Exact<{
  sweepId: string | number;
  metrics: Array<string> | string;
  objective?: string | null | undefined;
}>;

export type SweepSummaryQuery = {
  sweep: { id: string; name: string; objectiveMetric: string | null; objectiveGoal: string | null } | null;
  sweepSummary: {
    objective: string | null;
    goal: string | null;
    importance: Array<{ key: string; spearman: number | null; runs: number }>;
    rows: Array<{
      run: { id: string; name: string };
      params: Array<{ key: string; value: string }>;
      metrics: Array<{ key: string; value: number | 'NaN' | 'Infinity' | '-Infinity' | null }>;
    }>;
  };
};

export type RegisteredModelsQueryVariables = Exact<{ [key: string]: never }>;

export type RegisteredModelsQuery = {
  registeredModels: Array<{
    modelId: string;
    name: string;
    workspace: string;
    updatedAt: number;
    versions: Array<{ version: number; stage: ModelStage }>;
    aliases: Array<{ alias: string; version: number }>;
  }>;
};

export type RegisteredModelQueryVariables = Exact<{
  name: string;
}>;

export type RegisteredModelQuery = {
  registeredModel: {
    modelId: string;
    name: string;
    workspace: string;
    description: string;
    status: string;
    createdAt: number;
    createdBy: string;
    updatedAt: number;
    promotions: Array<{
      eventId: string;
      kind: string;
      version: number;
      stage: ModelStage | null;
      previousStage: ModelStage | null;
      alias: string | null;
      previousHolder: number | null;
      actor: string;
      onBehalfOf: string | null;
      at: number;
      reason: string;
      approval: { approvalId: string; requestedBy: string; approvedBy: string; comment: string } | null;
    }>;
    aliases: Array<{ alias: string; version: number }>;
    versions: Array<{
      version: number;
      runId: string;
      artifactPath: string;
      stage: ModelStage;
      aliases: Array<string>;
      registeredAt: number;
      registeredBy: string;
      stageChangedAt: number;
      stageChangedBy: string;
      sha256: string;
    }>;
  } | null;
};

export type ModelFieldsFragment = {
  modelId: string;
  name: string;
  workspace: string;
  description: string;
  status: string;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  aliases: Array<{ alias: string; version: number }>;
  versions: Array<{
    version: number;
    runId: string;
    artifactPath: string;
    stage: ModelStage;
    aliases: Array<string>;
    registeredAt: number;
    registeredBy: string;
    stageChangedAt: number;
    stageChangedBy: string;
    sha256: string;
  }>;
};

export type ModelAsOfQueryVariables = Exact<{
  name: string;
  asOf: number;
}>;

export type ModelAsOfQuery = {
  modelAsOf: {
    asOf: number;
    chainIntact: boolean;
    eventsFolded: number;
    model: {
      modelId: string;
      name: string;
      workspace: string;
      description: string;
      status: string;
      createdAt: number;
      createdBy: string;
      updatedAt: number;
      aliases: Array<{ alias: string; version: number }>;
      versions: Array<{
        version: number;
        runId: string;
        artifactPath: string;
        stage: ModelStage;
        aliases: Array<string>;
        registeredAt: number;
        registeredBy: string;
        stageChangedAt: number;
        stageChangedBy: string;
        sha256: string;
      }>;
    };
  } | null;
};

export type AuditVerifyQueryVariables = Exact<{ [key: string]: never }>;

export type AuditVerifyQuery = {
  auditVerify: {
    ok: boolean;
    events: number;
    streams: number;
    breakCount: number;
    checkpointsChecked: number;
    checkpointsKnown: boolean;
    firstBreak: {
      topic: string;
      partition: number;
      reason: BreakReason;
      stream: string | null;
      eventId: string | null;
    } | null;
  };
};

export type WhoamiQueryVariables = Exact<{ [key: string]: never }>;

export type WhoamiQuery = { whoami: { principal: string; kind: string } };

export type MetricPointsSubscriptionVariables = Exact<{
  runId: string | number;
  keys: Array<string> | string;
  maxPoints: number;
  intervalMs: number;
}>;

export type MetricPointsSubscription = {
  metricPoints: {
    runId: string;
    series: Array<{
      key: string;
      points: Array<{ step: number; timestamp: number; value: number | 'NaN' | 'Infinity' | '-Infinity' }>;
    }>;
  };
};

export type RunStatusChangedSubscriptionVariables = Exact<{
  runId: string | number;
}>;

export type RunStatusChangedSubscription = {
  runStatusChanged: { runId: string; status: string; at: number };
};
