import type { EngineEvent, OrderType, Side, TimeInForce } from '@shardex/contracts';
import type { OrderRow, TradeRow } from '@shardex/db';

/** What an order row needs that later events do not repeat: kept for open orders, carried in snapshots. */
export interface OrderStatics {
  userId: string;
  symbol: string;
  side: Side;
  type: OrderType;
  timeInForce: TimeInForce;
  price: string | null;
  quantity: string;
  postOnly: boolean;
  createdAt: number;
}

export type ProjectedRow = { kind: 'order'; row: OrderRow } | { kind: 'trade'; row: TradeRow };

/**
 * Turns engine events into `orders` and `trades` rows. Deterministic like the engine: every time comes from the
 * `issuedAt` of the command behind the event, and `version` is the event's sequence number, so a replay writes the
 * same rows and versioned upserts make it harmless. Rejected orders get no row: the ORDER_REJECTED event is their
 * record (their fields may be exactly what failed validation).
 */
export class OrderProjection {
  private readonly open = new Map<string, OrderStatics>();

  constructor(
    private readonly shardId: string,
    restored: ReadonlyArray<[string, OrderStatics]> = [],
  ) {
    for (const [id, statics] of restored) this.open.set(id, statics);
  }

  /** The open orders' statics, for a snapshot. */
  export(): Array<[string, OrderStatics]> {
    return [...this.open.entries()];
  }

  get openCount(): number {
    return this.open.size;
  }

  rows(events: readonly EngineEvent[], issuedAt: number): ProjectedRow[] {
    const out: ProjectedRow[] = [];
    for (const e of events) {
      switch (e.code) {
        case 'ORDER_ACCEPTED': {
          const p = e.payload;
          const statics: OrderStatics = {
            userId: p.userId,
            symbol: p.symbol,
            side: p.side,
            type: p.type,
            timeInForce: p.timeInForce,
            price: p.price ?? null,
            quantity: p.quantity,
            postOnly: p.postOnly,
            createdAt: issuedAt,
          };
          this.open.set(p.orderId, statics);
          out.push({ kind: 'order', row: this.row(p.orderId, statics, e.seq, issuedAt, '0', 'NEW', null) });
          break;
        }
        case 'ORDER_UPDATED':
          this.push(out, e.payload.orderId, e.seq, issuedAt, e.payload.filledQuantity, 'PARTIALLY_FILLED', null, false);
          break;
        case 'ORDER_FILLED':
          this.push(out, e.payload.orderId, e.seq, issuedAt, e.payload.filledQuantity, 'FILLED', null, true);
          break;
        case 'ORDER_CANCELED':
          this.push(
            out,
            e.payload.orderId,
            e.seq,
            issuedAt,
            e.payload.filledQuantity,
            'CANCELED',
            e.payload.reason,
            true,
          );
          break;
        case 'ORDER_EXPIRED':
          this.push(
            out,
            e.payload.orderId,
            e.seq,
            issuedAt,
            e.payload.filledQuantity,
            'EXPIRED',
            e.payload.reason,
            true,
          );
          break;
        case 'TRADE': {
          const p = e.payload;
          out.push({
            kind: 'trade',
            row: {
              tradeId: p.tradeId,
              shardId: this.shardId,
              seq: e.seq,
              symbol: p.symbol,
              price: p.price,
              quantity: p.quantity,
              takerOrderId: p.takerOrderId,
              makerOrderId: p.makerOrderId,
              takerUserId: p.takerUserId,
              makerUserId: p.makerUserId,
              takerSide: p.takerSide,
              executedAt: issuedAt,
            },
          });
          break;
        }
        default:
          break; // ORDER_REJECTED, ENGINE_STATE, DEPTH: events only
      }
    }
    return out;
  }

  private push(
    out: ProjectedRow[],
    orderId: string,
    seq: number,
    issuedAt: number,
    filled: string,
    status: OrderRow['status'],
    reason: string | null,
    closes: boolean,
  ): void {
    const statics = this.open.get(orderId);
    // Every status event follows its order's ORDER_ACCEPTED in this shard's stream, or its statics came with the
    // snapshot; an unknown id here would be an engine bug, and writing a half row would hide it.
    if (!statics) throw new Error(`projection: ${orderId} has no ORDER_ACCEPTED before seq ${seq}`);
    out.push({ kind: 'order', row: this.row(orderId, statics, seq, issuedAt, filled, status, reason) });
    if (closes) this.open.delete(orderId);
  }

  private row(
    orderId: string,
    s: OrderStatics,
    version: number,
    updatedAt: number,
    filled: string,
    status: OrderRow['status'],
    reason: string | null,
  ): OrderRow {
    return {
      orderId,
      shardId: this.shardId,
      userId: s.userId,
      symbol: s.symbol,
      side: s.side,
      type: s.type,
      timeInForce: s.timeInForce,
      price: s.price,
      quantity: s.quantity,
      filledQuantity: filled,
      status,
      postOnly: s.postOnly,
      reason,
      version,
      createdAt: s.createdAt,
      updatedAt,
    };
  }
}
