import websocket from '@fastify/websocket';
import { CodedError, placeOrderPayloadSchema } from '@shardex/contracts';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { type RawData, WebSocket } from 'ws';
import type { DepthMessage, MarketDataFeed } from '../market-data';
import { ordersChannel } from '../market-data';

/**
 * GET /v1/stream: market data and the caller's own order events over a WebSocket.
 *
 * Client → server (text frames, JSON; `id` is optional, a string or number echoed in the answer):
 *   {"op":"subscribe","args":["trades:BTC-USDT","depth:BTC-USDT","orders"],"id":1}
 *   {"op":"unsubscribe","args":["trades:BTC-USDT"]}
 *   {"op":"login","apiKey":"..."}            (or the x-api-key header on the upgrade request)
 *   {"op":"ping"}                             (for clients that cannot send WebSocket pings, e.g. browsers)
 * Server → client:
 *   {"type":"subscribed","id":1,"channels":[...]}   {"type":"unsubscribed",...}   {"type":"authenticated","userId":"u1"}
 *   {"type":"pong"}   {"type":"error","id":1,"code":"UNKNOWN_CHANNEL","message":"..."}
 *   {"type":"trade","channel":"trades:BTC-USDT","data":{...}}
 *   {"type":"depth","channel":"depth:BTC-USDT","data":{"symbol","bids","asks","U","u",...}}  (full snapshots; see
 *     DepthSnapshot for U/u and what a client does with them; the current one is sent right after `subscribed`)
 *   {"type":"order","channel":"orders","event":"ORDER_ACCEPTED","shardId","seq","data":{...}}
 * A subscribe is all or nothing: one bad channel refuses the whole request. Errors never close the connection;
 * only a slow reader (SLOW_CONSUMER), a flood of messages (TOO_MANY_PENDING), a missed heartbeat (terminated) and
 * shutdown (1001) do.
 */

/** Codes of `{"type":"error"}` messages. Stable API; messages are for people. */
export const STREAM_ERROR_CODES = {
  INVALID_JSON: 'The message is not a JSON object (or not a text frame).',
  INVALID_MESSAGE:
    'A field has the wrong type: `args` must be a non-empty list of strings, `apiKey` a string, `id` a string or number.',
  UNKNOWN_OP: 'The `op` is not subscribe, unsubscribe, login or ping.',
  UNKNOWN_CHANNEL:
    'A channel is not `trades:<SYMBOL>`, `depth:<SYMBOL>` or `orders`, or the symbol is not traded; nothing was subscribed.',
  TOO_MANY_SUBSCRIPTIONS: 'The subscribe would pass the connection’s cap on channels; nothing was subscribed.',
  UNAUTHENTICATED: '`orders` needs a login (x-api-key header or the login op), or the API key is unknown or revoked.',
  AUTH_UNAVAILABLE: 'The API key cannot be checked right now; retry the login shortly.',
  ALREADY_AUTHENTICATED: 'The connection is logged in as another user; open a new connection for that one.',
  INTERNAL: 'The gateway failed to handle the message (a bug, logged); the connection and its subscriptions stay.',
} as const;
export type StreamErrorCode = keyof typeof STREAM_ERROR_CODES;

/** Close codes the stream uses (4000-4999 are the application's). */
export const STREAM_CLOSE_CODES = {
  /** The server is shutting down: reconnect (to another replica). */
  GOING_AWAY: 1001,
  /** The client did not read fast enough: more than maxBufferedBytes were waiting to be sent. */
  SLOW_CONSUMER: 4001,
  /** The client sent more than maxPendingMessages messages before the earlier ones were handled. */
  TOO_MANY_PENDING: 4002,
} as const;

export interface StreamVerifier {
  /** The key's owner, or undefined for an unknown or revoked key; throws when it cannot tell (store down). */
  verify(apiKey: unknown): Promise<{ keyId: string; userId: string } | undefined>;
}

export interface StreamRoutesOptions {
  /** Market data and the subscription hub. */
  feed: Pick<MarketDataFeed, 'subscribe' | 'depth'>;
  verifier: StreamVerifier;
  /** Ping period, ms; a connection that answered none of the previous period's ping (nor sent anything) is cut. Default 30,000. */
  heartbeatMs?: number;
  /** Unsent bytes a connection may hold before it is closed with SLOW_CONSUMER (4001). Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Channels per connection. Default 50. */
  maxSubscriptions?: number;
  /** Largest client message, bytes (the ws maxPayload, when this plugin registers @fastify/websocket). Default 4,096. */
  maxMessageBytes?: number;
  /** Client messages waiting to be handled (a login waits for the verifier; the rest queue behind it). Default 32. */
  maxPendingMessages?: number;
  /** Whether a symbol is traded (e.g. from the instrument registry). Default: any well-formed symbol. */
  isKnownSymbol?: (symbol: string) => boolean;
  /** After a close frame, how long a client has to finish the close handshake before its socket is destroyed, ms. Default 1,000. */
  closeGraceMs?: number;
  /** Default `/v1/stream`. */
  path?: string;
}

export class StreamConfigError extends CodedError<'STREAM_ERR_CONFIG'> {
  override readonly name = 'StreamConfigError';
}

// The symbol rule of the contracts' schema, so the stream accepts exactly the symbols an order can name.
const SYMBOL_RULE = placeOrderPayloadSchema.properties.symbol;
const SYMBOL = new RegExp(SYMBOL_RULE.pattern);
const MAX_API_KEY_LENGTH = 512;

type Channel = { wire: string; hub: string; depthOf?: string } | { wire: 'orders'; hub: undefined };

interface Connection {
  readonly ws: WebSocket;
  readonly request: FastifyRequest;
  /** Wire channel → the hub's unsubscribe. */
  readonly subs: Map<string, () => void>;
  user: { keyId: string; userId: string } | undefined;
  alive: boolean;
  closing: boolean;
  pending: number;
  queue: Promise<void>;
}

class StreamError extends Error {
  constructor(
    readonly code: StreamErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw new StreamConfigError('STREAM_ERR_CONFIG', `${name} must be a positive integer, got ${String(value)}`);
  return value;
}

export const streamRoutes: FastifyPluginAsync<StreamRoutesOptions> = async (app: FastifyInstance, opts) => {
  const {
    feed,
    verifier,
    heartbeatMs = 30_000,
    maxBufferedBytes = 1_048_576,
    maxSubscriptions = 50,
    maxMessageBytes = 4_096,
    maxPendingMessages = 32,
    isKnownSymbol = () => true,
    closeGraceMs = 1_000,
    path = '/v1/stream',
  } = opts;
  if (typeof feed?.subscribe !== 'function' || typeof feed.depth !== 'function')
    throw new StreamConfigError('STREAM_ERR_CONFIG', 'feed must have subscribe() and depth()');
  if (typeof verifier?.verify !== 'function')
    throw new StreamConfigError('STREAM_ERR_CONFIG', 'verifier must have verify()');
  for (const [name, value] of Object.entries({
    heartbeatMs,
    maxBufferedBytes,
    maxSubscriptions,
    maxMessageBytes,
    maxPendingMessages,
    closeGraceMs,
  }))
    positiveInteger(name, value);

  const connections = new Set<Connection>();

  /** Closes with a code, and destroys the socket if the close handshake does not finish in time. */
  function cut(conn: Connection, code: number, reason: string): void {
    if (conn.closing) return;
    conn.closing = true;
    dropSubscriptions(conn);
    conn.ws.close(code, reason);
    setTimeout(() => conn.ws.terminate(), closeGraceMs).unref();
  }

  function dropSubscriptions(conn: Connection): void {
    for (const off of conn.subs.values()) off();
    conn.subs.clear();
  }

  function send(conn: Connection, text: string): void {
    if (conn.closing || conn.ws.readyState !== WebSocket.OPEN) return;
    // A reader that does not keep up is cut rather than buffered for without bound: at most maxBufferedBytes plus
    // one message wait for it.
    if (conn.ws.bufferedAmount > maxBufferedBytes) {
      conn.request.log.info({ buffered: conn.ws.bufferedAmount }, 'stream: slow consumer cut off');
      cut(conn, STREAM_CLOSE_CODES.SLOW_CONSUMER, 'slow consumer');
      return;
    }
    conn.ws.send(text);
  }

  const reply = (conn: Connection, message: object) => send(conn, JSON.stringify(message));
  const withId = (id: string | number | undefined) => (id === undefined ? {} : { id });

  function parseChannel(conn: Connection, name: string): Channel | undefined {
    if (name === 'orders') return { wire: 'orders', hub: undefined };
    const colon = name.indexOf(':');
    const kind = name.slice(0, colon);
    const symbol = name.slice(colon + 1);
    if (colon < 0 || (kind !== 'trades' && kind !== 'depth')) return undefined;
    if (symbol.length > SYMBOL_RULE.maxLength || !SYMBOL.test(symbol)) return undefined;
    let known: boolean;
    try {
      known = isKnownSymbol(symbol);
    } catch (err) {
      conn.request.log.warn({ err, symbol }, 'stream: isKnownSymbol threw; the symbol is treated as unknown');
      known = false;
    }
    if (!known) return undefined;
    return { wire: name, hub: name, ...(kind === 'depth' && { depthOf: symbol }) };
  }

  function channelsOf(conn: Connection, args: unknown): Channel[] {
    if (!Array.isArray(args) || args.length === 0 || !args.every((a) => typeof a === 'string'))
      throw new StreamError('INVALID_MESSAGE', '`args` must be a non-empty list of channel names');
    if (args.length > maxSubscriptions)
      throw new StreamError('TOO_MANY_SUBSCRIPTIONS', `at most ${maxSubscriptions} channels per connection`);
    const channels: Channel[] = [];
    const unknown: string[] = [];
    for (const name of new Set(args as string[])) {
      const channel = parseChannel(conn, name);
      if (channel) channels.push(channel);
      else unknown.push(name);
    }
    if (unknown.length > 0)
      throw new StreamError(
        'UNKNOWN_CHANNEL',
        `unknown channel(s) ${unknown.map((u) => JSON.stringify(u.slice(0, 80))).join(', ')}: use trades:<SYMBOL>, depth:<SYMBOL> or orders`,
      );
    return channels;
  }

  function subscribe(conn: Connection, args: unknown, id: string | number | undefined): void {
    const channels = channelsOf(conn, args);
    const user = conn.user;
    if (channels.some((c) => c.wire === 'orders') && !user)
      throw new StreamError('UNAUTHENTICATED', 'log in first (x-api-key header or {"op":"login","apiKey":"..."})');
    const added = channels.filter((c) => !conn.subs.has(c.wire));
    if (conn.subs.size + added.length > maxSubscriptions)
      throw new StreamError(
        'TOO_MANY_SUBSCRIPTIONS',
        `${conn.subs.size} channels held, ${added.length} more asked, the cap is ${maxSubscriptions}`,
      );
    for (const c of added) {
      const hubChannel = c.hub ?? ordersChannel((user as { userId: string }).userId);
      conn.subs.set(
        c.wire,
        feed.subscribe(hubChannel, (text) => send(conn, text)),
      );
    }
    reply(conn, { type: 'subscribed', ...withId(id), channels: channels.map((c) => c.wire) });
    // The current book first, then updates (listeners run synchronously, so none can slip in between).
    for (const c of added) {
      if (c.hub === undefined || c.depthOf === undefined) continue;
      const snapshot = feed.depth(c.depthOf);
      if (snapshot) reply(conn, { type: 'depth', channel: c.wire, data: snapshot } satisfies DepthMessage);
    }
  }

  function unsubscribe(conn: Connection, args: unknown, id: string | number | undefined): void {
    const channels = channelsOf(conn, args);
    for (const c of channels) {
      conn.subs.get(c.wire)?.();
      conn.subs.delete(c.wire);
    }
    reply(conn, { type: 'unsubscribed', ...withId(id), channels: channels.map((c) => c.wire) });
  }

  async function login(conn: Connection, apiKey: unknown, id: string | number | undefined): Promise<void> {
    if (typeof apiKey !== 'string' || apiKey.length === 0 || apiKey.length > MAX_API_KEY_LENGTH)
      throw new StreamError('INVALID_MESSAGE', '`apiKey` must be a non-empty string');
    let principal: { keyId: string; userId: string } | undefined;
    try {
      principal = await verifier.verify(apiKey);
    } catch (err) {
      conn.request.log.warn({ err }, 'stream: API key lookup failed');
      throw new StreamError('AUTH_UNAVAILABLE', 'the API key cannot be checked right now; retry shortly');
    }
    if (!principal) throw new StreamError('UNAUTHENTICATED', 'unknown or revoked API key');
    if (conn.user && conn.user.userId !== principal.userId)
      throw new StreamError('ALREADY_AUTHENTICATED', 'this connection is logged in as another user');
    conn.user = { keyId: principal.keyId, userId: principal.userId };
    reply(conn, { type: 'authenticated', ...withId(id), userId: principal.userId });
  }

  /** Runs one client request; every failure becomes an error message to the client, never a throw. */
  async function answering(conn: Connection, work: (setId: (id: string | number) => void) => Promise<void>) {
    let id: string | number | undefined;
    try {
      await work((v) => {
        id = v;
      });
    } catch (err) {
      if (err instanceof StreamError)
        return reply(conn, { type: 'error', ...withId(id), code: err.code, message: err.message });
      // A bug of ours must not take the connection (or the process) down: the client gets a coded answer.
      conn.request.log.error({ err }, 'stream: message handling failed');
      const code: StreamErrorCode = 'INTERNAL';
      reply(conn, { type: 'error', ...withId(id), code, message: 'the message could not be handled' });
    }
  }

  function handle(conn: Connection, data: RawData, isBinary: boolean): Promise<void> {
    return answering(conn, async (setId) => {
      if (isBinary) throw new StreamError('INVALID_JSON', 'send JSON in text frames');
      const text = data.toString();
      // ws enforces maxPayload when this plugin registered it; an app's own registration may allow more.
      if (Buffer.byteLength(text) > maxMessageBytes)
        throw new StreamError('INVALID_MESSAGE', `messages are at most ${maxMessageBytes} bytes`);
      let msg: unknown;
      try {
        msg = JSON.parse(text);
      } catch {
        throw new StreamError('INVALID_JSON', 'the message is not JSON');
      }
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg))
        throw new StreamError('INVALID_JSON', 'the message must be a JSON object');
      const m = msg as Record<string, unknown>;
      const rawId = m['id'];
      let id: string | number | undefined;
      if (rawId !== undefined) {
        if (typeof rawId === 'number' || (typeof rawId === 'string' && rawId.length <= 64)) id = rawId;
        else throw new StreamError('INVALID_MESSAGE', '`id` must be a string (at most 64 characters) or a number');
        setId(id);
      }
      switch (m['op']) {
        case 'subscribe':
          return subscribe(conn, m['args'], id);
        case 'unsubscribe':
          return unsubscribe(conn, m['args'], id);
        case 'login':
          return login(conn, m['apiKey'], id);
        case 'ping':
          return reply(conn, { type: 'pong', ...withId(id) });
        default:
          throw new StreamError(
            'UNKNOWN_OP',
            `unknown op ${typeof m['op'] === 'string' ? JSON.stringify(m['op'].slice(0, 40)) : `(${typeof m['op']})`}: use subscribe, unsubscribe, login or ping`,
          );
      }
    });
  }

  /** Handles messages one after another: a login that awaits the verifier holds back the subscribe behind it. */
  function enqueue(conn: Connection, task: () => Promise<void>): void {
    if (conn.pending >= maxPendingMessages) {
      cut(conn, STREAM_CLOSE_CODES.TOO_MANY_PENDING, 'too many pending messages');
      return;
    }
    conn.pending++;
    conn.queue = conn.queue
      .then(task)
      .catch((err: unknown) => conn.request.log.error({ err }, 'stream: message handling failed'))
      .finally(() => {
        conn.pending--;
      });
  }

  function onConnection(ws: WebSocket, request: FastifyRequest): void {
    const conn: Connection = {
      ws,
      request,
      subs: new Map(),
      user: undefined,
      alive: true,
      closing: false,
      pending: 0,
      queue: Promise.resolve(),
    };
    connections.add(conn);
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('message', (data, isBinary) => {
      conn.alive = true;
      if (conn.closing) return;
      enqueue(conn, () => handle(conn, data, isBinary));
    });
    ws.on('close', () => {
      conn.closing = true;
      dropSubscriptions(conn);
      connections.delete(conn);
    });
    const headerKey = request.headers['x-api-key'];
    if (headerKey !== undefined) {
      enqueue(conn, () => answering(conn, () => login(conn, headerKey, undefined)));
    }
  }

  // One timer for all connections: whoever did not answer the last ping (nor sent anything since) is gone.
  const heartbeat = setInterval(() => {
    for (const conn of connections) {
      if (conn.closing) continue;
      if (!conn.alive) {
        conn.request.log.info('stream: no pong within a heartbeat; connection terminated');
        conn.closing = true;
        dropSubscriptions(conn);
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }, heartbeatMs);
  heartbeat.unref();

  // Before @fastify/websocket's own preClose (which closes sockets without a code): clients learn it is a shutdown.
  app.addHook('preClose', async () => {
    clearInterval(heartbeat);
    for (const conn of connections) cut(conn, STREAM_CLOSE_CODES.GOING_AWAY, 'server shutting down');
  });

  // An app may have registered @fastify/websocket already (a second registration would handle every upgrade twice).
  try {
    if (!app.hasDecorator('websocketServer'))
      await app.register(websocket, { options: { maxPayload: maxMessageBytes } });
    app.get(path, { websocket: true }, (socket, request) => onConnection(socket, request));
  } catch (err) {
    clearInterval(heartbeat); // the plugin failed: nothing will close it
    throw err;
  }
};
