/**
 * Every GraphQL operation the page sends: only the public API, so whatever the page shows another client can
 * fetch too. Their result types are generated from the gateway's schema into generated.ts (npm run
 * dashboard:types); test/dashboard/graphql-types.unit.spec.ts fails when the two disagree.
 */

import { AUDIT_VERIFY, MODEL_AS_OF, REGISTERED_MODEL, REGISTERED_MODELS } from './registry-operations';

const RUN_ROW = /* GraphQL */ `
  fragment RunRow on Run {
    id
    name
    status
    experimentId
    sweepId
    createdAt
    startTime
    endTime
    params {
      key
      value
    }
    tags {
      key
      value
    }
    metrics {
      key
      last
      min
      max
      lastStep
    }
  }
`;

export const EXPERIMENTS = /* GraphQL */ `
  query Experiments {
    experiments(limit: 10000) {
      id
      name
      workspace
      archived
      createdAt
    }
  }
`;

export const SEARCH_RUNS = /* GraphQL */ `
  query SearchRuns(
    $experimentIds: [ID!]
    $sweepId: ID
    $filter: String
    $orderBy: [String!]
    $first: Int!
    $after: String
  ) {
    searchRuns(
      experimentIds: $experimentIds
      sweepId: $sweepId
      filter: $filter
      orderBy: $orderBy
      first: $first
      after: $after
    ) {
      edges {
        node {
          ...RunRow
          sweep {
            id
            name
          }
        }
      }
      pageInfo {
        endCursor
        hasNextPage
      }
    }
  }
  ${RUN_ROW}
`;

export const METRIC_SERIES = /* GraphQL */ `
  query MetricSeries(
    $runIds: [ID!]!
    $keys: [String!]!
    $maxPoints: Int!
    $xAxis: SeriesXAxis!
    $range: SeriesRange
  ) {
    metricSeries(runIds: $runIds, keys: $keys, maxPoints: $maxPoints, xAxis: $xAxis, range: $range) {
      from
      to
      series {
        runId
        key
        worker
        downsampled
        totalPoints
        bucketColumns {
          x
          min
          max
          last
        }
        pointColumns {
          x
          value
        }
      }
    }
  }
`;

export const RUN_STATUSES = /* GraphQL */ `
  query RunStatuses($ids: [ID!]!) {
    compareRuns(ids: $ids) {
      runs {
        id
        name
        status
        startTime
      }
    }
  }
`;

export const RUN_DETAIL = /* GraphQL */ `
  query RunDetail($id: ID!) {
    run(id: $id) {
      ...RunRow
      workspace
      note
      failureReason
      parentRunId
      workers
      sweep {
        id
        name
      }
      context {
        host
        user
        code {
          commit
          branch
          remote
          dirty
          entryPoint
        }
        environment {
          runtime
          runtimeVersion
          platform
          arch
          containerImageDigest
          lockfileDigest
        }
        hardware {
          cpuCount
          cpuModel
          memoryBytes
          gpus {
            model
            memoryBytes
          }
        }
        seeds {
          key
          value
        }
      }
      inputs {
        name
        digest
        source
        split
        rows
      }
      artifacts {
        path
        size
        contentType
        digest
        loggedAt
      }
    }
    runHistory(runId: $id, limit: 1000) {
      id
      type
      actor
      occurredAt
      recordedAt
      hash
    }
  }
  ${RUN_ROW}
`;

export const RUN_MEDIA = /* GraphQL */ `
  query RunMedia($id: ID!) {
    run(id: $id) {
      id
      media {
        key
        step
        kind
        path
        contentType
        size
        digest
      }
    }
  }
`;

export const COMPARE_RUNS = /* GraphQL */ `
  query CompareRuns($ids: [ID!]!) {
    compareRuns(ids: $ids) {
      runs {
        id
        name
        status
      }
      rows {
        section
        key
        values
        differs
      }
    }
  }
`;

export const SWEEP_SUMMARY = /* GraphQL */ `
  query SweepSummary($sweepId: ID!, $metrics: [String!]!, $objective: String) {
    sweep(id: $sweepId) {
      id
      name
      objectiveMetric
      objectiveGoal
    }
    sweepSummary(sweepId: $sweepId, metrics: $metrics, objective: $objective) {
      objective
      goal
      importance {
        key
        spearman
        runs
      }
      rows {
        run {
          id
          name
        }
        params {
          key
          value
        }
        metrics {
          key
          value
        }
      }
    }
  }
`;

export const WHOAMI = /* GraphQL */ `
  query Whoami {
    whoami {
      principal
      kind
    }
  }
`;

export const METRIC_POINTS = /* GraphQL */ `
  subscription MetricPoints($runId: ID!, $keys: [String!]!, $maxPoints: Int!, $intervalMs: Int!) {
    metricPoints(runId: $runId, keys: $keys, maxPoints: $maxPoints, intervalMs: $intervalMs) {
      runId
      series {
        key
        points {
          step
          timestamp
          value
        }
      }
    }
  }
`;

export const RUN_STATUS_CHANGED = /* GraphQL */ `
  subscription RunStatusChanged($runId: ID!) {
    runStatusChanged(runId: $runId) {
      runId
      status
      at
    }
  }
`;

export * from './registry-operations';

/** All of them, for the type generator. */
export const OPERATIONS = [
  EXPERIMENTS,
  SEARCH_RUNS,
  METRIC_SERIES,
  RUN_STATUSES,
  RUN_DETAIL,
  RUN_MEDIA,
  COMPARE_RUNS,
  SWEEP_SUMMARY,
  REGISTERED_MODELS,
  REGISTERED_MODEL,
  MODEL_AS_OF,
  AUDIT_VERIFY,
  WHOAMI,
  METRIC_POINTS,
  RUN_STATUS_CHANGED,
];
