import type { StreamDepth, StreamTrade } from './types';

export interface StreamHandlers {
  /** Connected (again): everything must be re-synced, messages may have been missed while away. */
  onOpen(): void;
  onClose(): void;
  onDepth(channel: string, data: StreamDepth): void;
  onTrade(channel: string, data: StreamTrade): void;
  onOrderEvent(event: string): void;
  onError(code: string, message: string): void;
}

/**
 * The gateway's WebSocket stream (/v1/stream): subscribe/unsubscribe/login ops, an application-level ping (browsers
 * cannot send WebSocket pings, and the gateway cuts a silent connection), reconnection with backoff.
 */
export class MarketStream {
  private ws: WebSocket | undefined;
  private readonly channels = new Set<string>();
  private apiKey: string | undefined;
  private retryMs = 500;
  private ping: ReturnType<typeof setInterval> | undefined;
  private nextId = 1;

  constructor(
    private readonly url: string,
    private readonly handlers: StreamHandlers,
  ) {}

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  connect(): void {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener('open', () => {
      this.retryMs = 500;
      if (this.apiKey) this.send({ op: 'login', apiKey: this.apiKey });
      if (this.channels.size > 0) this.send({ op: 'subscribe', args: [...this.channels] });
      this.ping = setInterval(() => this.send({ op: 'ping' }), 15_000);
      this.handlers.onOpen();
    });
    ws.addEventListener('message', (e) => this.onMessage(String(e.data)));
    ws.addEventListener('close', () => {
      clearInterval(this.ping);
      if (this.ws !== ws) return;
      this.handlers.onClose();
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    });
  }

  /** Replaces the market channels (the `orders` channel follows the login). */
  setChannels(next: readonly string[]): void {
    const gone = [...this.channels].filter((c) => !next.includes(c));
    const added = next.filter((c) => !this.channels.has(c));
    for (const c of gone) this.channels.delete(c);
    for (const c of added) this.channels.add(c);
    if (gone.length > 0) this.send({ op: 'unsubscribe', args: gone });
    if (added.length > 0) this.send({ op: 'subscribe', args: added });
  }

  /** Unsubscribes and subscribes again: the gateway answers a depth subscribe with the current book. */
  resubscribe(channels: readonly string[]): void {
    this.send({ op: 'unsubscribe', args: [...channels] });
    this.send({ op: 'subscribe', args: [...channels] });
  }

  login(apiKey: string | undefined): void {
    const changed = apiKey !== this.apiKey;
    this.apiKey = apiKey;
    if (!changed) return;
    if (apiKey) {
      this.channels.add('orders');
      this.send({ op: 'login', apiKey });
      this.send({ op: 'subscribe', args: ['orders'] });
    } else if (this.channels.delete('orders')) {
      // A connection stays logged in as its user: a new one forgets the old key.
      this.ws?.close();
    }
  }

  private send(message: object): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ ...message, id: this.nextId++ }));
  }

  private onMessage(text: string): void {
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(text) as Record<string, unknown>;
    } catch {
      this.handlers.onError('INVALID_JSON', 'the gateway sent a message that is not JSON');
      return;
    }
    const channel = typeof m['channel'] === 'string' ? m['channel'] : '';
    switch (m['type']) {
      case 'depth':
        return this.handlers.onDepth(channel, m['data'] as StreamDepth);
      case 'trade':
        return this.handlers.onTrade(channel, m['data'] as StreamTrade);
      case 'order':
        return this.handlers.onOrderEvent(String(m['event']));
      case 'error':
        return this.handlers.onError(String(m['code']), String(m['message']));
      default:
        return; // subscribed, unsubscribed, authenticated, pong
    }
  }
}
