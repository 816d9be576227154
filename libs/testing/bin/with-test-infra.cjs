#!/usr/bin/env node
// with-test-infra <command...>: provides Kafka and MySQL once (env → Docker → local), runs the command with the
// SHARDEX_TEST_* variables set, then stops whatever it started. Exit code is the command's.
require('tsx/cjs/api').register();
const { main } = require('../src/with-test-infra.ts');
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
