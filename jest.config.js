/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  moduleNameMapper: {
    '^ogpu-events$': '<rootDir>/src/index.ts',
    '^ogpu-events/jetstream$': '<rootDir>/src/jetstream/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  reporters: ['default', '<rootDir>/spec/support/summaryReporter.js'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
