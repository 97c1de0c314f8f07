/** Unit specs sit next to the code; integration specs drive the built server against real engines. */
const transform = { '^.+\\.ts$': ['@swc/jest'] };
module.exports = {
  testEnvironment: 'node',
  // A project-level testTimeout is ignored by jest: the integration specs' budget must be set here.
  testTimeout: 120000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: [
        '<rootDir>/libs/**/*.unit.spec.ts',
        '<rootDir>/services/**/*.unit.spec.ts',
        '<rootDir>/test/**/*.unit.spec.ts',
      ],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/**/*.int.spec.ts', '<rootDir>/libs/**/*.int.spec.ts'],
      testTimeout: 120000,
      // Kafka, S3 and ClickHouse for the distributed-mode suites, the run's own unless the environment names them.
      globalSetup: '<rootDir>/test/support/engines-global-setup.ts',
      globalTeardown: '<rootDir>/test/support/engines-global-teardown.ts',
    },
    {
      // The foundation's end-to-end suites a second time, every server on Kafka and ClickHouse over HTTP.
      displayName: 'integration on Kafka',
      testEnvironment: 'node',
      transform,
      testMatch: [
        '<rootDir>/test/integration/ingest-to-graphql.int.spec.ts',
        '<rootDir>/test/integration/ingest-validation.int.spec.ts',
        '<rootDir>/test/integration/projector-restart.int.spec.ts',
        '<rootDir>/test/integration/artifacts.int.spec.ts',
        '<rootDir>/test/integration/sdk.int.spec.ts',
        '<rootDir>/test/integration/run-record.int.spec.ts',
        '<rootDir>/test/integration/write-ordering.int.spec.ts',
        '<rootDir>/test/integration/graphql-limits.int.spec.ts',
        '<rootDir>/test/integration/bad-input.int.spec.ts',
        '<rootDir>/test/integration/dead-letters.int.spec.ts',
        '<rootDir>/test/integration/storable-values.int.spec.ts',
        '<rootDir>/test/integration/http-boundary.int.spec.ts',
        '<rootDir>/test/integration/metric-rollups.int.spec.ts',
        '<rootDir>/test/integration/series-overlay.int.spec.ts',
        '<rootDir>/test/integration/series-overlay-graphql.int.spec.ts',
        '<rootDir>/test/integration/raw-retention.int.spec.ts',
        '<rootDir>/test/integration/ingest-admission.int.spec.ts',
        '<rootDir>/test/integration/run-search.int.spec.ts',
        '<rootDir>/test/integration/consistency-token.int.spec.ts',
        '<rootDir>/test/integration/metric-point-columns.int.spec.ts',
        '<rootDir>/test/integration/metric-export.int.spec.ts',
        '<rootDir>/test/integration/live-subscriptions.int.spec.ts',
        '<rootDir>/test/integration/distributed-workers.int.spec.ts',
        '<rootDir>/test/integration/authorization-matrix.int.spec.ts',
        '<rootDir>/test/integration/audit-verify.int.spec.ts',
        '<rootDir>/test/integration/time-travel.int.spec.ts',
        '<rootDir>/test/integration/registry.int.spec.ts',
        '<rootDir>/test/integration/experiment-names.int.spec.ts',
        '<rootDir>/test/integration/replay.int.spec.ts',
        '<rootDir>/test/integration/auditor-scenario.int.spec.ts',
        '<rootDir>/test/integration/lineage.int.spec.ts',
        '<rootDir>/test/integration/run-media.int.spec.ts',
      ],
      setupFiles: ['<rootDir>/test/support/distributed-mode.ts'],
      // The same setup: it finds the engines the other project's run of it started, or starts them.
      globalSetup: '<rootDir>/test/support/engines-global-setup.ts',
      globalTeardown: '<rootDir>/test/support/engines-global-teardown.ts',
    },
    {
      // The dashboard in headless Chromium (Debian's, installed by the setup where missing) against a real server.
      displayName: 'browser',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/browser/*.browser.spec.ts'],
      globalSetup: '<rootDir>/test/support/browser-global-setup.ts',
    },
  ],
};
