// Jest as Stryker runs it for `nx run order-book:mutation`: the order book's specs and the contracts specs of the
// mutated contracts files, from the workspace root (Stryker's sandbox is a copy of it).
const path = require('node:path');

const root = path.resolve(__dirname, '../../..');
const base = require(path.join(root, 'jest.preset.cjs'))(root, 'unit');

module.exports = {
  ...base,
  displayName: 'order-book:mutation',
  testMatch: [
    '<rootDir>/libs/order-book/src/**/*.spec.ts',
    '<rootDir>/libs/contracts/src/money.spec.ts',
    '<rootDir>/libs/contracts/src/instrument.spec.ts',
  ],
  // @shardex/contracts is a symlink to the real checkout: map it to the sandbox's copy, which holds the mutants.
  moduleNameMapper: {
    '^@shardex/contracts$': '<rootDir>/libs/contracts/src/index.ts',
    '^@shardex/contracts/testing$': '<rootDir>/libs/contracts/src/testing/index.ts',
  },
  // Fewer fast-check runs per property: a mutant the hand-written specs miss is usually caught within a few
  // dozen random streams, and every surviving mutant re-runs every property that covers it.
  setupFiles: [path.join(__dirname, 'fast-check.setup.cjs')],
};
