#!/usr/bin/env node
// Adds up the jest JSON reports of a run (one per project and kind) and prints one closing line,
// "tests: N passed, N failed", so a reader (or CI) sees the whole run's result without scrolling.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2] ?? 'dist/test-results';
let files = [];
try {
  files = readdirSync(dir).filter((f) => f.endsWith('.json'));
} catch {
  // no reports at all: reported below as a failure
}
let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
for (const f of files.sort()) {
  const r = JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  rows.push(
    `  ${f.replace(/\.json$/, '').padEnd(36)} ${String(r.numPassedTests).padStart(5)} passed ${String(r.numFailedTests).padStart(4)} failed`,
  );
}
console.log(`\ntest reports (${dir}):\n${rows.join('\n')}`);
if (files.length === 0 || passed === 0) {
  console.log('no test reports found: the run executed no test');
  process.exitCode = 1;
}
if (failed > 0) process.exitCode = 1;
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
