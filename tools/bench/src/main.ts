/**
 * `npm run bench` — the end-to-end benchmark (issue 13). See USAGE in options.ts, and BENCHMARKS.md for what each
 * figure measures and the results.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { InstrumentSpec } from '@shardex/contracts';
import { createKafkaClient } from '@shardex/kafka';
import { Cleanup } from './cleanup';
import { summarizeCpuProfileFile } from './cpuprofile';
import { type DriveTarget, drivePhase } from './drive';
import { benchInfra } from './infra';
import { describeMachine, gitCommit } from './machine';
import { type BenchOptions, parseOptions, USAGE } from './options';
import { startOwnStack } from './own-stack';
import { type BenchResult, markdownReport, type PhaseResult, profileLines, summaryLine } from './report';
import { connectRunningStack } from './running-stack';

const log = (line: string) => process.stderr.write(`${line}\n`);

function readInstruments(file: string): InstrumentSpec[] {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as InstrumentSpec[] | { instruments: InstrumentSpec[] };
  return Array.isArray(parsed) ? parsed : parsed.instruments;
}

function settingsOf(o: BenchOptions): Record<string, unknown> {
  return {
    phases: o.phases.map((p) => p.id),
    kafkaClients: [...new Set(o.phases.map((p) => p.kafkaClient ?? 'default'))],
    seconds: o.seconds,
    warmupSeconds: o.warmupSeconds,
    rate: o.rate ?? null,
    connections: o.connections,
    batchConnections: o.batchConnections,
    batchSize: o.batchSize,
    users: o.users,
    persistedSampleEvery: o.sampleEvery,
    persistedPollMs: o.pollMs,
    seed: o.seed,
    depthEveryCommands: o.depthEveryCommands,
    outputPartitions: o.outputPartitions ?? 'orchestrator default',
    drainTimeoutSeconds: o.drainTimeoutSeconds,
    cpuProf: o.cpuProf,
    instruments: o.target ? 'GET /v1/markets' : o.instrumentsFile,
    target: o.target?.url ?? null,
  };
}

async function main(): Promise<number> {
  const root = process.cwd();
  const argv = process.argv.slice(2);
  let o: BenchOptions;
  try {
    o = parseOptions(argv, process.env);
  } catch (err) {
    log(`bench: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  if (o.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  for (const app of ['gateway', 'matching-engine', 'orchestrator'])
    if (!o.target && !existsSync(path.join(root, 'dist/apps', app, 'main.js')))
      throw new Error(`dist/apps/${app}/main.js is missing: build first (npm run bench does)`);

  const runId = randomBytes(3).toString('hex');
  const startedAt = new Date();
  const stamp = startedAt
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  const outDir = path.resolve(root, o.outDir);
  const workRoot = path.join(outDir, 'logs', stamp);
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: string) => {
    interrupts++;
    if (interrupts === 1) {
      log(`\nbench: ${signal}: stopping the load and cleaning up (again to quit at once, leaving things behind)`);
      controller.abort();
    } else process.exit(130);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  const runCleanup = new Cleanup();
  const results: PhaseResult[] = [];
  let machine: BenchResult['machine'];
  try {
    let shared: DriveTarget | undefined;
    let own:
      | {
          brokers: string[];
          serverUrl: string;
          pids: { kafka?: number; mariadb?: number };
          instruments: InstrumentSpec[];
        }
      | undefined;
    if (o.target) {
      log(`bench: driving the running stack at ${o.target.url} (no topology changes)`);
      shared = await connectRunningStack(o.target, { root, users: o.users, runId }, runCleanup, log);
      machine = await describeMachine(o.target.mysqlUrl);
    } else {
      log('bench: Kafka and MariaDB (tools/infra, profile "stack"; started if not up, stopped after only then)');
      const infra = await benchInfra();
      runCleanup.defer('stop the infrastructure this run started', () => infra.release());
      own = { ...infra, instruments: readInstruments(path.resolve(root, o.instrumentsFile)) };
      machine = await describeMachine(infra.serverUrl);
    }
    const kafka = own ? createKafkaClient({ brokers: own.brokers, clientId: 'shardex-bench' }) : undefined;
    log(
      `bench: run ${runId}, ${o.phases.length} phase(s) of ${o.seconds} s (+${o.warmupSeconds} s warm-up), ` +
        `${machine.cores} cores, logs in ${path.relative(root, workRoot)}`,
    );
    for (const [i, phase] of o.phases.entries()) {
      if (controller.signal.aborted) break;
      log(`\n== phase ${i + 1}/${o.phases.length}: ${phase.title}`);
      const cleanup = new Cleanup();
      const profileDir = o.cpuProf ? path.join(outDir, 'profiles', stamp, phase.id) : undefined;
      if (profileDir) mkdirSync(profileDir, { recursive: true });
      let result: PhaseResult;
      try {
        const target =
          shared ??
          (
            await startOwnStack(
              {
                root,
                brokers: own?.brokers ?? [],
                serverUrl: own?.serverUrl ?? '',
                kafka: kafka as NonNullable<typeof kafka>,
                instruments: own?.instruments ?? [],
                infraPids: own?.pids ?? {},
                runId,
                users: o.users,
                depthEveryCommands: o.depthEveryCommands,
                outputPartitions: o.outputPartitions,
                workDir: path.join(workRoot, phase.id),
                profileDir,
              },
              phase,
              cleanup,
              log,
            )
          ).target;
        result = await drivePhase(
          target,
          phase,
          {
            seconds: o.seconds,
            warmupSeconds: o.warmupSeconds,
            connections: phase.batchSize > 1 ? o.batchConnections : o.connections,
            sampleEvery: o.sampleEvery,
            pollMs: o.pollMs,
            seed: o.seed,
            drainTimeoutSeconds: o.drainTimeoutSeconds,
            clientOrderIdPrefix: `bench-${runId}-${i + 1}`,
          },
          log,
          controller.signal,
        );
      } finally {
        // Stops the processes (writing their profiles), deletes the topics and groups, drops the database.
        const failed = await cleanup.run(log);
        if (failed.length) log(`  left behind (see above): ${failed.join('; ')}`);
      }
      if (controller.signal.aborted) {
        log(`  ${phase.id} was interrupted: not reported`);
        break;
      }
      if (profileDir) {
        result.profileDir = path.relative(root, profileDir);
        result.profiles = {};
        for (const f of readdirSync(profileDir)
          .filter((x) => x.endsWith('.cpuprofile'))
          .sort()) {
          const summary = summarizeCpuProfileFile(path.join(profileDir, f), root, {
            window: { startUs: result.monotonicWindowUs.start, endUs: result.monotonicWindowUs.end },
          });
          result.profiles[f.replace(/\.cpuprofile$/, '')] = summary;
          for (const line of profileLines(f, summary)) log(`  ${line}`);
        }
      }
      results.push(result);
      const l = result.latency;
      log(
        `  => ${Math.round(result.ordersPerSec)} orders/s end to end (${Math.round(result.acceptedPerSec)} accepted/s, ` +
          `drain ${result.seconds.drain.toFixed(2)} s), p99 accept ${l.accept.p99Ms} ms, ` +
          `accept→matched ${l.acceptToMatched.p99Ms} ms, accept→persisted ${l.acceptToPersisted.p99Ms} ms`,
      );
    }
  } finally {
    const failed = await runCleanup.run(log);
    if (failed.length) log(`bench: left behind (see above): ${failed.join('; ')}`);
  }
  if (results.length === 0) {
    log('bench: no phase completed');
    return controller.signal.aborted ? 130 : 1;
  }
  const command = [
    ...(process.env['BENCH_SECONDS'] ? [`BENCH_SECONDS=${process.env['BENCH_SECONDS']}`] : []),
    'npm run bench',
    ...(argv.length ? ['--', ...argv] : []),
  ].join(' ');
  const result: BenchResult = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command,
    commit: gitCommit(root),
    machine,
    mode: o.target ? 'running-stack' : 'own-processes',
    settings: settingsOf(o),
    phases: results,
    summary: summaryLine(results, machine.cores),
  };
  mkdirSync(outDir, { recursive: true });
  const base = path.join(outDir, stamp);
  const markdown = markdownReport(result);
  writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(`${base}.md`, markdown);
  process.stdout.write(`\n${markdown}\n`);
  process.stdout.write(`results: ${path.relative(root, base)}.json and .md\n`);
  if (controller.signal.aborted) log('bench: interrupted: the figures cover only what ran');
  process.stdout.write(`${JSON.stringify(result.summary)}\n`);
  return controller.signal.aborted ? 130 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
