#!/usr/bin/env node
// Runs the TypeScript CLI without a build step, so `up` works straight after `npm ci`.
require('tsx/cjs/api').register();
const { main } = require('../src/cli.ts');
main(process.argv).then((code) => {
  process.exitCode = code;
});
