import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Command as LifecycleCommandMessage, type EngineState, encodeCommand } from '@shardex/contracts';
import { createOrderRouter } from '@shardex/order-router';
import type { Command } from 'commander';
import { OrchestratorError } from '../errors';
import { type Fleet, type FleetFlags, KAFKA_BROKERS_ENV, resolveFleet } from '../fleet';
import type { Io } from '../io';
import { formatTable } from '../table';
import { planInstruments } from '../lifecycle/instruments-file';
import type { LifecycleSession, OpenLifecycle } from '../lifecycle/lifecycle.port';
import type { ShardOutcome } from '../lifecycle/outcomes';
import { type Env, MYSQL_URL_ENV, resolveMysqlUrl } from '../mysql-url';

export interface LifecycleCommandDeps {
  io: Io;
  env: Env;
  openLifecycle: OpenLifecycle;
  readFile?: (path: string) => string;
  now?: () => number;
}

/** One shard's line of the report. */
export interface ShardReport {
  shardId: string;
  /** ok: applied (or sent, without --wait); failed: refused by Kafka or by the shard; timeout: no answer in time. */
  result: 'ok' | 'sent' | 'failed' | 'timeout';
  state?: EngineState;
  symbols?: string[];
  detail?: string;
}

interface Flags extends FleetFlags {
  wait?: boolean;
  timeout: string;
  json?: boolean;
  reason?: string;
  mysqlUrl?: string;
  instruments?: string;
}

const TARGET: Record<'INITIALIZE_ENGINE' | 'START_ENGINE' | 'STOP_ENGINE', EngineState> = {
  INITIALIZE_ENGINE: 'INITIALIZED',
  START_ENGINE: 'RUNNING',
  STOP_ENGINE: 'STOPPED',
};

/** "60s", "90s", "2m", "1500ms" or plain seconds → ms; ORCH_ERR_USAGE otherwise. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new OrchestratorError('ORCH_ERR_USAGE', `--timeout must be like 60s, 2m or 1500ms, got "${text}"`);
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
  if (ms < 1 || ms > 3_600_000) throw new OrchestratorError('ORCH_ERR_USAGE', '--timeout must be 1 ms to 1 hour');
  return ms;
}

function report(
  shardId: string,
  sent: { success: boolean; error?: string },
  outcome: ShardOutcome | undefined,
  target: EngineState,
): ShardReport {
  if (!sent.success) return { shardId, result: 'failed', detail: `not sent: ${sent.error ?? 'unknown error'}` };
  if (outcome === undefined)
    return { shardId, result: 'sent', detail: 'written to its preload topic (not waited for)' };
  switch (outcome.status) {
    case 'applied':
      return outcome.state === target
        ? { shardId, result: 'ok', state: outcome.state, symbols: outcome.symbols }
        : { shardId, result: 'failed', state: outcome.state, detail: `the shard is ${outcome.state}, not ${target}` };
    case 'rejected':
      return { shardId, result: 'failed', detail: `rejected ${outcome.reason}: ${outcome.message}` };
    case 'dead-lettered':
      return { shardId, result: 'failed', detail: `dead-lettered ${outcome.code}: ${outcome.reason}` };
    default:
      return { shardId, result: 'timeout', detail: 'no answer from the shard in time (is it running?)' };
  }
}

export function formatReports(reports: readonly ShardReport[]): string {
  return formatTable(
    ['SHARD', 'RESULT', 'STATE', 'SYMBOLS', 'DETAIL'],
    reports.map((r) => [
      r.shardId,
      r.result,
      r.state ?? '-',
      r.symbols ? String(r.symbols.length) : '-',
      r.detail ?? '',
    ]),
  );
}

/**
 * Sends one lifecycle command per shard (the same one, or each its own for init), and with --wait reads back what
 * every shard did. Prints the report, then fails (exit 1) if any shard did not end where it should.
 */
async function execute(
  deps: LifecycleCommandDeps,
  fleet: Fleet,
  flags: Flags,
  code: 'INITIALIZE_ENGINE' | 'START_ENGINE' | 'STOP_ENGINE',
  { payload = {}, perShard }: { payload?: object; perShard?: (shardId: string) => object },
  session: LifecycleSession,
): Promise<ShardReport[]> {
  const { io, now = Date.now } = deps;
  const commandId = `${code.toLowerCase().replace(/_engine$/, '')}-${now()}-${randomBytes(4).toString('hex')}`;
  const timeoutMs = parseDuration(flags.timeout);
  if (session.outcomes) await session.outcomes.start(); // positioned before anything is sent
  const router = createOrderRouter({ shardMap: fleet.shardMap, producer: session.producer });
  const command = (payload: object) => ({ commandId, code, issuedAt: now(), payload }) as LifecycleCommandMessage;
  // One command for all (the router's broadcast), or — init — each shard its own instruments under the same id.
  const sent = perShard
    ? await Promise.all(
        fleet.shardMap.shards.map(async (shard) => {
          try {
            await session.producer.send({
              topic: shard.kafkaPreloadTopic,
              ...encodeCommand(command(perShard(shard.shardId))),
            });
            return { shardId: shard.shardId, success: true };
          } catch (err) {
            return { shardId: shard.shardId, success: false, error: (err as Error).message };
          }
        }),
      )
    : await router.broadcastToAllShards(command(payload));
  const commandIdOf = () => commandId;
  const outcomes = session.outcomes;
  if (outcomes) {
    const expected = new Map(sent.filter((s) => s.success).map((s) => [s.shardId, commandIdOf()]));
    const progress = () => {
      const done = [...expected].filter(([id, c]) => outcomes.outcome(id, c).status !== 'pending');
      const pending = [...expected.keys()].filter((id) => !done.some(([d]) => d === id));
      io.err(
        `${done.length}/${expected.size} shards answered${pending.length ? `; waiting for ${pending.join(', ')}` : ''}\n`,
      );
    };
    if (!flags.json) progress();
    await outcomes.waitFor(expected, now() + timeoutMs, flags.json ? undefined : progress);
  }
  return sent.map((s) => report(s.shardId, s, outcomes?.outcome(s.shardId, commandIdOf()), TARGET[code]));
}

function print(io: Io, reports: ShardReport[], json: boolean | undefined): void {
  io.out(json ? `${JSON.stringify({ shards: reports })}\n` : formatReports(reports));
  const bad = reports.filter((r) => r.result === 'failed' || r.result === 'timeout');
  if (bad.length > 0)
    throw new OrchestratorError(
      'ORCH_ERR_SHARDS_FAILED',
      `${bad.length} of ${reports.length} shard(s) did not complete: ${bad.map((r) => `${r.shardId} ${r.result}`).join(', ')}`,
    );
}

const fleetOptions = (cmd: Command): Command =>
  cmd
    .option('--brokers <list>', `Kafka brokers host:port[,...] (default: env ${KAFKA_BROKERS_ENV})`)
    .option(
      '--shard-map <file>',
      'the shard map file (.json/.yaml) the shards read (default: env SHARD_MAP_FILE, SHARD_MAP or SHARD_COUNT)',
    )
    .option('--wait', 'wait until every shard reports the new state (or why not)')
    .option('--timeout <duration>', 'how long --wait waits: 60s, 2m, 1500ms', '60s')
    .option('--json', 'print one JSON object { shards: [...] }');

/** `init`, `start`, `stop`: the lifecycle broadcasts, reporting what each shard did. */
export function registerLifecycleCommands(program: Command, deps: LifecycleCommandDeps): void {
  const readFile = deps.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const withSession = async (
    flags: Flags,
    use: (fleet: Fleet, session: LifecycleSession) => Promise<ShardReport[]>,
    mysqlUrl?: string,
  ) => {
    const fleet = resolveFleet(flags, deps.env, readFile);
    parseDuration(flags.timeout); // a bad --timeout is a usage error before anything connects
    const session = await deps.openLifecycle(fleet, { wait: flags.wait === true, ...(mysqlUrl ? { mysqlUrl } : {}) });
    let reports: ShardReport[];
    try {
      reports = await use(fleet, session);
    } finally {
      await session.close();
    }
    print(deps.io, reports, flags.json);
  };

  const init = fleetOptions(
    program
      .command('init')
      .description(
        'Check an instruments file with the engine’s rules, store it for the gateways, give each shard the instruments it owns (INITIALIZE_ENGINE)',
      )
      .requiredOption('--instruments <file>', 'instrument specs, .json or .yaml: a list, or { instruments: [...] }')
      .option('--mysql-url <url>', `the database of the instrument registry (default: env ${MYSQL_URL_ENV})`),
  ).action(async () => {
    const flags = init.opts<Flags>();
    const fleet = resolveFleet(flags, deps.env, readFile);
    const file = flags.instruments as string;
    let text: string;
    try {
      text = readFile(file);
    } catch (err) {
      throw new OrchestratorError('ORCH_ERR_USAGE', `cannot read ${file}: ${(err as Error).message}`);
    }
    const plan = planInstruments(text, file, fleet.shardMap); // every problem, before anything connects
    const mysqlUrl = resolveMysqlUrl(flags.mysqlUrl, deps.env);
    await withSession(
      flags,
      async (f, session) => {
        const reports = await execute(
          deps,
          f,
          flags,
          'INITIALIZE_ENGINE',
          { perShard: (shardId) => ({ instruments: plan.byShard.get(shardId) ?? [] }) },
          session,
        );
        // The gateways validate orders against the registry: it gets the set only once every shard has it (applied
        // with --wait, written without), never a set that some shard refused.
        if (reports.every((r) => r.result === 'ok' || r.result === 'sent')) {
          const stored = await session.publishInstruments?.(plan.assignments);
          if (stored && !flags.json) deps.io.err(`instrument set v${stored.version} stored for the gateways\n`);
        } else if (!flags.json) deps.io.err('the instrument registry was not updated: not every shard took the set\n');
        return reports;
      },
      mysqlUrl,
    );
  });

  for (const [name, code, what] of [
    ['start', 'START_ENGINE', 'Start every shard matching (START_ENGINE)'],
    ['stop', 'STOP_ENGINE', 'Stop every shard matching; orders are then rejected (STOP_ENGINE)'],
  ] as const) {
    const cmd = fleetOptions(
      program.command(name).description(what).option('--reason <text>', 'recorded with the command'),
    );
    cmd.action(async () => {
      const flags = cmd.opts<Flags>();
      await withSession(flags, (fleet, session) =>
        execute(deps, fleet, flags, code, { payload: flags.reason ? { reason: flags.reason } : {} }, session),
      );
    });
  }
}
