// Shared jest settings: swc strips types (tsc's `typecheck` target does the checking), so tests start fast.
/** @param {string} dir project root (absolute) @param {'unit'|'integration'} kind */
module.exports = function preset(dir, kind) {
  const path = require('node:path');
  const root = __dirname;
  const base = {
    rootDir: dir,
    displayName: `${path.relative(root, dir)}:${kind}`,
    testEnvironment: 'node',
    transform: {
      '^.+\\.(t|j)sx?$': [
        '@swc/jest',
        { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
      ],
    },
    moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
    // Workspace packages are symlinks to their sources, and cookie (under fastify's inject), commander and
    // content-disposition (under @fastify/swagger-ui's static files) and @platformatic/kafka (with scule) ship ESM
    // only (Node.js requires them natively; jest's module registry does not): jest transforms them rather than
    // treat them as prebuilt CommonJS.
    transformIgnorePatterns: ['/node_modules/(?!(@shardex|@platformatic|scule|cookie|commander|content-disposition)/)'],
  };
  if (kind === 'unit') {
    return { ...base, testMatch: ['<rootDir>/**/*.spec.ts'], testPathIgnorePatterns: ['\\.int-spec\\.ts$'] };
  }
  return {
    ...base,
    testMatch: ['<rootDir>/**/*.int-spec.ts'],
    globalSetup: path.join(root, 'libs/testing/src/jest/global-setup.ts'),
    globalTeardown: path.join(root, 'libs/testing/src/jest/global-teardown.ts'),
    testTimeout: 120_000,
    // Real brokers and databases: files run one at a time on a 2-core box so they don't starve each other.
    maxWorkers: 1,
  };
};
