/**
 * `npm run test:python-hooks`: the Python SDK's Lightning and Transformers hooks, whose torch venv is too large for
 * `npm test`'s budget on a fresh machine (see test/support/python-sdk.ts). The server runs embedded: no engines.
 */
module.exports = {
  testEnvironment: 'node',
  testTimeout: 120000,
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  testMatch: ['<rootDir>/test/integration/*.hooks.spec.ts'],
};
