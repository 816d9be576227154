// Reads Stryker's JSON report and prints the mutation scores: one line per file, then, as the last line, one JSON
// object { mutationScore, orderBook, money, instrument, files } for scripts. Exits 1 when the order book or the
// money parsing scores below the target.
import { readFileSync } from 'node:fs';

const TARGET = 85;
const report = JSON.parse(readFileSync(process.argv[2] ?? 'dist/mutation/order-book.json', 'utf8'));

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);
/** Stryker's mutation score: detected / (detected + undetected); ignored, errored and static-only excluded. */
function score(mutants) {
  let detected = 0;
  let undetected = 0;
  for (const m of mutants) {
    if (DETECTED.has(m.status)) detected++;
    else if (UNDETECTED.has(m.status)) undetected++;
  }
  const total = detected + undetected;
  return { score: total === 0 ? 100 : Math.round((detected / total) * 10_000) / 100, detected, undetected };
}

const files = {};
const groups = { orderBook: [], money: [], instrument: [] };
for (const [file, { mutants }] of Object.entries(report.files)) {
  files[file] = score(mutants);
  if (file.startsWith('libs/order-book/')) groups.orderBook.push(...mutants);
  else if (file.endsWith('money.ts')) groups.money.push(...mutants);
  else groups.instrument.push(...mutants);
}
const all = Object.values(report.files).flatMap((f) => f.mutants);
const summary = {
  mutationScore: score(all).score,
  orderBook: score(groups.orderBook).score,
  money: score(groups.money).score,
  instrument: score(groups.instrument).score,
  target: TARGET,
  mutants: all.length,
  files: Object.fromEntries(Object.entries(files).map(([f, s]) => [f, s.score])),
};
for (const [file, s] of Object.entries(files))
  console.log(`${s.score.toFixed(2).padStart(6)}%  ${file}  (${s.detected} detected, ${s.undetected} undetected)`);
console.log(JSON.stringify(summary));
if (summary.orderBook < TARGET || summary.money < TARGET) process.exitCode = 1;
