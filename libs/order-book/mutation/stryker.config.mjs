// StrykerJS for `npx nx run order-book:mutation`: mutates the order book and the money parsing (plus instrument
// compilation) and runs their jest specs against each mutant. Run from the workspace root.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'libs/order-book/mutation/jest.config.cjs',
    enableFindRelatedTests: false,
  },
  coverageAnalysis: 'perTest',
  mutate: [
    'libs/order-book/src/**/*.ts',
    '!libs/order-book/src/**/*.spec.ts',
    'libs/contracts/src/money.ts',
    'libs/contracts/src/instrument.ts',
  ],
  // The sandbox needs only what the specs load; the rest of the monorepo (and .infra's data) stays out of it.
  ignorePatterns: [
    '/*',
    '!/libs',
    '/libs/*',
    '!/libs/order-book',
    '!/libs/contracts',
    '!/jest.preset.cjs',
    '!/tsconfig.base.json',
    '!/package.json',
  ],
  tempDirName: 'dist/.stryker-tmp',
  cleanTempDir: true,
  concurrency: 2,
  // Mutants that loop forever are cut short: the specs themselves take well under a second per test.
  timeoutMS: 5_000,
  incremental: true,
  incrementalFile: 'dist/mutation/order-book.incremental.json',
  reporters: ['progress-append-only', 'clear-text', 'html', 'json'],
  htmlReporter: { fileName: 'dist/mutation/order-book.html' },
  jsonReporter: { fileName: 'dist/mutation/order-book.json' },
  // The score is checked by the summary step (per file group), not by Stryker's overall threshold.
  thresholds: { high: 90, low: 85, break: null },
};
