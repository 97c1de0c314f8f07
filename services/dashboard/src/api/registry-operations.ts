/** The registry page's operations (see operations.ts, which lists every operation for the type generator). */

const MODEL_FIELDS = /* GraphQL */ `
  fragment ModelFields on RegisteredModel {
    modelId
    name
    workspace
    description
    status
    createdAt
    createdBy
    updatedAt
    aliases {
      alias
      version
    }
    versions {
      version
      runId
      artifactPath
      stage
      aliases
      registeredAt
      registeredBy
      stageChangedAt
      stageChangedBy
      sha256
    }
  }
`;

export const REGISTERED_MODELS = /* GraphQL */ `
  query RegisteredModels {
    registeredModels(limit: 10000) {
      modelId
      name
      workspace
      updatedAt
      versions {
        version
        stage
      }
      aliases {
        alias
        version
      }
    }
  }
`;

export const REGISTERED_MODEL = /* GraphQL */ `
  query RegisteredModel($name: String!) {
    registeredModel(name: $name) {
      ...ModelFields
      promotions(limit: 1000) {
        eventId
        kind
        version
        stage
        previousStage
        alias
        previousHolder
        actor
        onBehalfOf
        at
        reason
        approval {
          approvalId
          requestedBy
          approvedBy
          comment
        }
      }
    }
  }
  ${MODEL_FIELDS}
`;

export const MODEL_AS_OF = /* GraphQL */ `
  query ModelAsOf($name: String!, $asOf: Float!) {
    modelAsOf(name: $name, asOf: $asOf) {
      asOf
      chainIntact
      eventsFolded
      model {
        ...ModelFields
      }
    }
  }
  ${MODEL_FIELDS}
`;

export const AUDIT_VERIFY = /* GraphQL */ `
  query AuditVerify {
    auditVerify {
      ok
      events
      streams
      breakCount
      checkpointsChecked
      checkpointsKnown
      firstBreak {
        topic
        partition
        reason
        stream
        eventId
      }
    }
  }
`;
