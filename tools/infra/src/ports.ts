import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { InfraError } from './errors';
import { PROFILES } from './profiles';

/** Below this live well-known and commonly configured service ports; we never hand them out. */
const FLOOR = 10_000;
/** A band narrower than this is not worth drawing from; we fall back to the whole unprivileged range. */
const MIN_BAND = 1_000;

/**
 * The kernel's range for the local ports of outgoing connections (Linux: `ip_local_port_range`, default
 * 32768-60999). Off Linux, or when the file is unreadable, that default.
 */
export function ephemeralPortRange(file = '/proc/sys/net/ipv4/ip_local_port_range'): [number, number] {
  try {
    const [low, high] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined && Number.isInteger(low) && Number.isInteger(high) && low <= high) {
      return [low, high];
    }
  } catch {
    // Not Linux (or no /proc): assume the Linux default, which is also close to the IANA dynamic range.
  }
  return [32768, 60999];
}

/** True when a server can listen on 127.0.0.1:port right now. */
export function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port }, () => server.close(() => resolve(true)));
  });
}

/**
 * `count` distinct loopback ports that nothing listens on now, for servers that must come back on the same ports
 * after a restart. They are drawn below the kernel's ephemeral range, not with `listen(0)`: a port from that range
 * can, while our server is down, become the local end of some client's outgoing connection, and the restarted
 * server could then not bind it. The fixed ports of the profiles and `exclude` are never returned.
 */
export async function freeLoopbackPorts(
  count: number,
  { exclude = [], range = ephemeralPortRange() }: { exclude?: Iterable<number>; range?: [number, number] } = {},
): Promise<number[]> {
  if (!Number.isInteger(count) || count < 1) {
    throw new InfraError('INFRA_ERR_CONFIG', `freeLoopbackPorts: count must be a positive integer, got ${count}`);
  }
  const [low, high] = range;
  const [from, to] =
    low - FLOOR >= MIN_BAND ? [FLOOR, low - 1] : 65535 - high >= MIN_BAND ? [high + 1, 65535] : [1024, 65535];
  const taken = new Set<number>(exclude);
  for (const p of Object.values(PROFILES))
    for (const port of [p.mysqlPort, p.kafkaPort, p.controllerPort]) taken.add(port);
  const chosen: number[] = [];
  for (let attempt = 0; chosen.length < count && attempt < 200; attempt++) {
    const port = randomInt(from, to + 1);
    if (taken.has(port)) continue;
    taken.add(port);
    if (await canListen(port)) chosen.push(port);
  }
  if (chosen.length < count) {
    throw new InfraError(
      'INFRA_ERR_PORT_IN_USE',
      `found only ${chosen.length} of ${count} free ports in ${from}-${to}`,
    );
  }
  return chosen;
}
