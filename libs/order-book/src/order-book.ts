import {
  type CancelOrderCommand,
  type Command,
  compileInstrument,
  type ContractErrorCode,
  type DepthPayload,
  type EngineEvent,
  type EngineState,
  type EventBase,
  type EventCode,
  type ExpireReason,
  type Instrument,
  type InstrumentSpec,
  instrumentSpec,
  type LifecycleCommand,
  lotsToQuantity,
  type PlaceOrderCommand,
  priceTicksOrInvalid,
  priceToTicks,
  quantityLotsOrInvalid,
  quantityToLots,
  type RejectReason,
  STP_MODES,
  ticksToPrice,
  tradeId,
} from '@shardex/contracts';
import { OrderBookError } from './errors';
import {
  BookSide,
  BUY,
  type PriceLevel,
  RestingOrder,
  SELL,
  type SideCode,
  STP_CANCEL_BOTH,
  STP_CANCEL_NEWEST,
  STP_CANCEL_OLDEST,
  STP_NONE,
} from './price-levels';
import { SNAPSHOT_VERSION, type BookSnapshot, type OrderTuple } from './snapshot';

export interface OrderBookOptions {
  /** Stamped on every event and part of every trade id. */
  shardId: string;
  /** How many recent lifecycle command ids are remembered for de-duplication. Default 1024. */
  lifecycleMemory?: number;
}

/**
 * Formatted amounts, direct-mapped by value: formatting is the costliest part of building an event, and the same
 * quantities recur endlessly. Bounded (a colliding value replaces the old one), and shared by every symbol that
 * formats quantities the same way, so 100 symbols keep one hot cache rather than 100 cold ones.
 */
class TextCache {
  private static readonly SIZE = 4096;
  private readonly keys = new Float64Array(TextCache.SIZE).fill(-1);
  private readonly texts: string[] = new Array<string>(TextCache.SIZE).fill('');
  constructor(private readonly format: (n: number) => string) {}

  get(n: number): string {
    const i = (n >>> 0) & (TextCache.SIZE - 1);
    if (this.keys[i] === n) return this.texts[i] as string;
    const text = this.format(n);
    this.keys[i] = n;
    this.texts[i] = text;
    return text;
  }
}

/** One symbol's book. */
class SymbolBook {
  readonly bids = new BookSide(BUY);
  readonly asks = new BookSide(SELL);
  /** Set when the book changed since the last depth update was taken. */
  dirty = false;
  /** STP_MODES index of the instrument's default. */
  defaultStp = 0;
  private qtyText!: TextCache;
  constructor(
    public instrument: Instrument,
    private readonly caches: Map<string, TextCache>,
  ) {
    this.setInstrument(instrument);
  }

  setInstrument(instrument: Instrument): void {
    this.instrument = instrument;
    this.defaultStp = STP_MODES.indexOf(instrument.selfTradePrevention);
    const key = `${instrument.lotUnits}/${instrument.lotScale}/${instrument.quantityScale}`;
    let cache = this.caches.get(key);
    if (!cache) {
      cache = new TextCache((lots) => lotsToQuantity(instrument, lots));
      this.caches.set(key, cache);
    }
    this.qtyText = cache;
  }

  qty(lots: number): string {
    return this.qtyText.get(lots);
  }

  /** The wire text of a price: from an existing level when there is one, else formatted. */
  price(side: BookSide, ticks: number): string {
    return side.byPrice.get(ticks)?.priceText ?? ticksToPrice(this.instrument, ticks);
  }

  openOrders(): number {
    let n = 0;
    for (const side of [this.bids, this.asks]) for (const l of side.levels) n += l.count;
    return n;
  }
}

type Payload<C extends EventCode> = Extract<EngineEvent, { code: C }>['payload'];

const SIDE_TEXT = ['BUY', 'SELL'] as const;

/**
 * The matching engine of one shard: every symbol the shard owns, the event sequence and the lifecycle state.
 * `apply` is a pure function of the commands applied so far: no clock, no randomness, no I/O. The same commands
 * give the same events, byte for byte, and `snapshot()`/`restore()` continue exactly where a run left off.
 */
export class OrderBook {
  readonly shardId: string;
  private seq = 0;
  private state: EngineState = 'NEW';
  private readonly books = new Map<string, SymbolBook>();
  private readonly textCaches = new Map<string, TextCache>();
  private readonly orders = new Map<string, RestingOrder>();
  private readonly lifecycleIds: string[] = [];
  private readonly lifecycleSeen = new Set<string>();
  private readonly lifecycleMemory: number;
  private dirtyBooks: SymbolBook[] = [];
  /** Events of the command being applied; reused, and copied out at the end (a right-sized array is less garbage). */
  private readonly out: EngineEvent[] = [];
  private commandId: string | undefined = undefined;

  constructor({ shardId, lifecycleMemory = 1024 }: OrderBookOptions) {
    if (typeof shardId !== 'string' || shardId.length === 0)
      throw new OrderBookError('BOOK_ERR_CONFIG', 'shardId is required');
    if (!Number.isInteger(lifecycleMemory) || lifecycleMemory < 1) {
      throw new OrderBookError('BOOK_ERR_CONFIG', 'lifecycleMemory must be a positive integer');
    }
    this.shardId = shardId;
    this.lifecycleMemory = lifecycleMemory;
  }

  /** The sequence number of the last event emitted. */
  get lastSeq(): number {
    return this.seq;
  }

  get engineState(): EngineState {
    return this.state;
  }

  get openOrderCount(): number {
    return this.orders.size;
  }

  symbols(): string[] {
    return [...this.books.keys()];
  }

  instrument(symbol: string): Instrument | undefined {
    return this.books.get(symbol)?.instrument;
  }

  /** Applies one command and returns the events it caused, in order. Never throws on bad input. */
  apply(command: Command): EngineEvent[] {
    this.commandId = command.commandId;
    switch (command.code) {
      case 'PLACE_ORDER':
        this.place(command);
        break;
      case 'CANCEL_ORDER':
        this.cancel(command);
        break;
      case 'INITIALIZE_ENGINE':
      case 'START_ENGINE':
      case 'STOP_ENGINE':
        this.lifecycle(command);
        break;
      default:
        this.reject(
          {},
          'MALFORMED_COMMAND',
          `unknown command code "${String((command as { code: unknown }).code)}"`,
          'CODEC_ERR_UNKNOWN_CODE',
        );
    }
    return this.flush();
  }

  /** The events collected since the last flush, as a new array. */
  private flush(): EngineEvent[] {
    const out = this.out.slice();
    this.out.length = 0;
    this.commandId = undefined;
    return out;
  }

  /**
   * An ORDER_REJECTED for input that could not be decoded into a command but names an order (the engine's
   * poison-message path). Takes a sequence number like any event.
   */
  rejectUndecodable(
    about: { orderId?: string; userId?: string; symbol?: string; commandId?: string },
    detail: ContractErrorCode,
    message: string,
  ): EngineEvent[] {
    this.commandId = about.commandId;
    this.reject(about, 'MALFORMED_COMMAND', message, detail);
    return this.flush();
  }

  // ---------------------------------------------------------------- events

  private emit<C extends EventCode>(code: C, payload: Payload<C>): void {
    // One literal shape for every event keeps V8 on a single hidden class; an undefined commandId is not serialised.
    const event: EventBase<C, Payload<C>> = {
      shardId: this.shardId,
      seq: ++this.seq,
      code,
      commandId: this.commandId,
      payload,
    };
    this.out.push(event as EngineEvent);
  }

  private reject(
    about: { orderId?: string; userId?: string; symbol?: string },
    reason: RejectReason,
    message: string,
    detail?: ContractErrorCode,
  ): void {
    const payload: Payload<'ORDER_REJECTED'> = { reason, message };
    if (typeof about.orderId === 'string') payload.orderId = about.orderId;
    if (typeof about.userId === 'string') payload.userId = about.userId;
    if (typeof about.symbol === 'string') payload.symbol = about.symbol;
    if (detail !== undefined) payload.detail = detail;
    this.emit('ORDER_REJECTED', payload);
  }

  private markDirty(book: SymbolBook): void {
    if (!book.dirty) {
      book.dirty = true;
      this.dirtyBooks.push(book);
    }
  }

  // ---------------------------------------------------------------- lifecycle

  private lifecycle(command: LifecycleCommand): void {
    const previous = this.state;
    if (this.lifecycleSeen.has(command.commandId)) {
      // A re-broadcast: acknowledged with the current state, changes nothing.
      this.emitState(previous);
      return;
    }
    if (command.code === 'INITIALIZE_ENGINE') {
      if (this.state === 'RUNNING') {
        this.reject({}, 'INVALID_STATE', 'INITIALIZE_ENGINE while RUNNING: stop the engine first');
        return;
      }
      const error = this.loadInstruments(command.payload?.instruments);
      if (error) {
        this.reject({}, 'INVALID_INSTRUMENTS', error);
        return;
      }
      this.state = 'INITIALIZED';
    } else if (command.code === 'START_ENGINE') {
      if (this.state === 'NEW') {
        this.reject({}, 'INVALID_STATE', 'START_ENGINE before INITIALIZE_ENGINE');
        return;
      }
      this.state = 'RUNNING';
    } else {
      if (this.state === 'NEW') {
        this.reject({}, 'INVALID_STATE', 'STOP_ENGINE before INITIALIZE_ENGINE');
        return;
      }
      this.state = 'STOPPED';
    }
    this.remember(command.commandId);
    this.emitState(previous);
  }

  private emitState(previous: EngineState): void {
    this.emit('ENGINE_STATE', { state: this.state, previous, symbols: [...this.books.keys()] });
  }

  private remember(commandId: string): void {
    this.lifecycleIds.push(commandId);
    this.lifecycleSeen.add(commandId);
    while (this.lifecycleIds.length > this.lifecycleMemory) {
      this.lifecycleSeen.delete(this.lifecycleIds.shift() as string);
    }
  }

  /** Validates the whole list before changing anything; returns an error message or undefined. */
  private loadInstruments(specs: unknown): string | undefined {
    if (!Array.isArray(specs)) return 'instruments must be an array';
    const compiled: Instrument[] = [];
    const seen = new Set<string>();
    for (const spec of specs as InstrumentSpec[]) {
      const r = compileInstrument(spec);
      if (!r.ok) return r.message;
      if (seen.has(r.value.symbol)) return `instrument ${r.value.symbol} is listed twice`;
      seen.add(r.value.symbol);
      const existing = this.books.get(r.value.symbol);
      // Open orders are counted in ticks and lots: their grid must not change under them.
      if (
        existing &&
        existing.openOrders() > 0 &&
        (existing.instrument.tickSize !== r.value.tickSize ||
          existing.instrument.lotSize !== r.value.lotSize ||
          existing.instrument.priceScale !== r.value.priceScale ||
          existing.instrument.quantityScale !== r.value.quantityScale)
      ) {
        return `instrument ${r.value.symbol} has open orders: its tick, lot and scales cannot change`;
      }
      compiled.push(r.value);
    }
    for (const instrument of compiled) {
      const existing = this.books.get(instrument.symbol);
      if (existing) existing.setInstrument(instrument);
      else this.books.set(instrument.symbol, new SymbolBook(instrument, this.textCaches));
    }
    return undefined;
  }

  // ---------------------------------------------------------------- orders

  private place(command: PlaceOrderCommand): void {
    const p = command.payload;
    if (this.state !== 'RUNNING') {
      this.reject(p ?? {}, 'ENGINE_NOT_RUNNING', `engine is ${this.state}`);
      return;
    }
    if (!p || typeof p.orderId !== 'string' || p.orderId === '' || typeof p.userId !== 'string' || p.userId === '') {
      this.reject(p ?? {}, 'INVALID_ORDER', 'orderId and userId are required');
      return;
    }
    const book = this.books.get(p.symbol);
    if (!book) {
      this.reject(p, 'UNKNOWN_SYMBOL', `no instrument "${String(p.symbol)}" on ${this.shardId}`);
      return;
    }
    const side: SideCode | -1 = p.side === 'BUY' ? BUY : p.side === 'SELL' ? SELL : -1;
    if (side === -1) {
      this.reject(p, 'INVALID_ORDER', `side must be BUY or SELL`);
      return;
    }
    const isMarket = p.type === 'MARKET';
    if (!isMarket && p.type !== 'LIMIT') {
      this.reject(p, 'INVALID_ORDER', 'type must be LIMIT or MARKET');
      return;
    }
    const tif = p.timeInForce;
    if (tif !== 'GTC' && tif !== 'IOC' && tif !== 'FOK') {
      this.reject(p, 'INVALID_ORDER', 'timeInForce must be GTC, IOC or FOK');
      return;
    }
    const postOnly = p.postOnly === true;
    if (isMarket && (p.price !== undefined || tif === 'GTC' || postOnly)) {
      this.reject(p, 'INVALID_ORDER', 'MARKET orders take no price, are IOC or FOK, and cannot be post-only');
      return;
    }
    if (postOnly && tif !== 'GTC') {
      this.reject(p, 'INVALID_ORDER', 'post-only orders must be GTC');
      return;
    }
    let stp: number;
    if (p.selfTradePrevention === undefined) stp = book.defaultStp;
    else {
      stp = STP_MODES.indexOf(p.selfTradePrevention);
      if (stp < 0) {
        this.reject(p, 'INVALID_ORDER', `selfTradePrevention must be one of ${STP_MODES.join(', ')}`);
        return;
      }
    }
    const instrument = book.instrument;
    let limit = 0;
    if (!isMarket) {
      if (p.price === undefined) {
        this.reject(p, 'INVALID_ORDER', 'LIMIT orders need a price');
        return;
      }
      limit = priceTicksOrInvalid(instrument, p.price);
      if (limit < 0) {
        const why = priceToTicks(instrument, p.price);
        this.reject(p, 'INVALID_PRICE', why.ok ? 'invalid price' : why.message, why.ok ? undefined : why.code);
        return;
      }
    }
    const lots = quantityLotsOrInvalid(instrument, p.quantity);
    if (lots < 0) {
      const why = quantityToLots(instrument, p.quantity);
      this.reject(p, 'INVALID_QUANTITY', why.ok ? 'invalid quantity' : why.message, why.ok ? undefined : why.code);
      return;
    }
    if (this.orders.has(p.orderId)) {
      this.reject(p, 'DUPLICATE_ORDER_ID', `order ${p.orderId} is already open`);
      return;
    }
    const own = side === BUY ? book.bids : book.asks;
    const opposite = side === BUY ? book.asks : book.bids;
    const best = opposite.best();
    if (postOnly && best !== undefined && crosses(side, limit, best.priceTicks)) {
      this.reject(
        p,
        'POST_ONLY_WOULD_TAKE',
        `post-only ${p.side} at ${p.price} would trade against ${ticksToPrice(instrument, best.priceTicks)}`,
      );
      return;
    }

    // A market order has no price; an undefined property is not serialised, and one shape keeps V8 monomorphic.
    const ownLevel = isMarket ? undefined : own.byPrice.get(limit);
    const priceText = isMarket ? undefined : (ownLevel?.priceText ?? book.price(opposite, limit));
    const accepted: Payload<'ORDER_ACCEPTED'> = {
      orderId: p.orderId,
      userId: p.userId,
      symbol: p.symbol,
      side: SIDE_TEXT[side],
      type: p.type,
      timeInForce: tif,
      price: priceText,
      quantity: book.qty(lots),
      postOnly,
    };
    this.emit('ORDER_ACCEPTED', accepted);

    if (isMarket) {
      if (best === undefined) {
        this.expire(p.orderId, p.userId, book, 0, lots, 'NO_LIQUIDITY');
        return;
      }
      limit = bandLimit(side, best.priceTicks, instrument.marketPriceBandBps);
    }
    if (tif === 'FOK' && !this.fokFillable(opposite, side, limit, lots, p.userId, stp)) {
      this.expire(p.orderId, p.userId, book, 0, lots, 'FOK');
      return;
    }

    const taker = new RestingOrder(p.orderId, p.userId, side, limit, lots, 0, stp);
    const stoppedBySTP = this.match(book, opposite, taker);
    const remaining = taker.quantityLots - taker.filledLots;
    if (remaining === 0) {
      this.emitFilled(taker, book);
      return;
    }
    if (stoppedBySTP) return; // the STP cancel event closed the order
    if (isMarket) {
      // The book ran dry, or the next level is outside the band.
      const reason = opposite.best() === undefined ? 'NO_LIQUIDITY' : 'PRICE_BAND';
      this.expire(p.orderId, p.userId, book, taker.filledLots, remaining, reason);
      return;
    }
    if (tif !== 'GTC') {
      this.expire(p.orderId, p.userId, book, taker.filledLots, remaining, tif);
      return;
    }
    // Rest the remainder.
    (ownLevel ?? own.levelFor(limit, priceText as string)).append(taker);
    this.orders.set(taker.orderId, taker);
    this.markDirty(book);
    if (taker.filledLots > 0) this.emitUpdated(taker, book);
  }

  /**
   * Matches `taker` against the opposite side while prices cross. Returns true if self-trade prevention
   * canceled the taker (its cancel event is already emitted).
   */
  private match(book: SymbolBook, opposite: BookSide, taker: RestingOrder): boolean {
    const instrument = book.instrument;
    const symbol = instrument.symbol;
    const side = taker.side;
    const limit = taker.priceTicks;
    let level = opposite.best();
    while (level !== undefined && taker.filledLots < taker.quantityLots && crosses(side, limit, level.priceTicks)) {
      let maker = level.head;
      while (maker !== null && taker.filledLots < taker.quantityLots) {
        const next: RestingOrder | null = maker.next;
        if (maker.userId === taker.userId && taker.stp !== STP_NONE) {
          const mode = taker.stp;
          if (mode === STP_CANCEL_OLDEST || mode === STP_CANCEL_BOTH) {
            this.removeResting(book, opposite, maker);
            this.emitCanceled(maker, book, 'SELF_TRADE_PREVENTION');
          }
          if (mode === STP_CANCEL_NEWEST || mode === STP_CANCEL_BOTH) {
            this.emitCanceled(taker, book, 'SELF_TRADE_PREVENTION');
            if (taker.filledLots > 0) this.markDirty(book);
            return true;
          }
          maker = next;
          continue;
        }
        const makerLeft = maker.quantityLots - maker.filledLots;
        const takerLeft = taker.quantityLots - taker.filledLots;
        const lots = makerLeft < takerLeft ? makerLeft : takerLeft;
        maker.filledLots += lots;
        taker.filledLots += lots;
        level.totalLots -= lots;
        this.emit('TRADE', {
          tradeId: tradeId(this.shardId, this.seq + 1),
          symbol,
          price: level.priceText,
          quantity: book.qty(lots),
          takerOrderId: taker.orderId,
          takerUserId: taker.userId,
          makerOrderId: maker.orderId,
          makerUserId: maker.userId,
          takerSide: SIDE_TEXT[side],
        });
        if (maker.filledLots === maker.quantityLots) {
          this.removeResting(book, opposite, maker);
          this.emitFilled(maker, book);
        } else {
          this.emitUpdated(maker, book);
        }
        maker = next;
      }
      this.markDirty(book);
      level = opposite.best();
    }
    return false;
  }

  /**
   * Whether a FOK order can fill completely without side effects: walks the opposite side as `match` would,
   * honouring self-trade prevention (a CANCEL_NEWEST/BOTH encounter ends the walk; CANCEL_OLDEST skips).
   */
  private fokFillable(
    opposite: BookSide,
    side: SideCode,
    limit: number,
    lots: number,
    userId: string,
    stp: number,
  ): boolean {
    let need = lots;
    const levels = opposite.levels;
    for (let i = levels.length - 1; i >= 0; i--) {
      const level = levels[i] as PriceLevel;
      if (!crosses(side, limit, level.priceTicks)) return false;
      for (let o = level.head; o !== null; o = o.next) {
        if (o.userId === userId && stp !== STP_NONE) {
          if (stp === STP_CANCEL_OLDEST) continue;
          return false;
        }
        need -= o.quantityLots - o.filledLots;
        if (need <= 0) return true;
      }
    }
    return false;
  }

  private removeResting(book: SymbolBook, sideBook: BookSide, o: RestingOrder): void {
    sideBook.remove(o);
    this.orders.delete(o.orderId);
    this.markDirty(book);
  }

  private cancel(command: CancelOrderCommand): void {
    const p = command.payload;
    if (this.state !== 'RUNNING') {
      this.reject(p ?? {}, 'ENGINE_NOT_RUNNING', `engine is ${this.state}`);
      return;
    }
    const o = p ? this.orders.get(p.orderId) : undefined;
    const book = p ? this.books.get(p.symbol) : undefined;
    if (!p || !o || !book || !this.onBook(book, o)) {
      this.reject(p ?? {}, 'ORDER_NOT_FOUND', `no open order ${String(p?.orderId)} on ${String(p?.symbol)}`);
      return;
    }
    if (o.userId !== p.userId) {
      this.reject(p, 'NOT_ORDER_OWNER', `order ${p.orderId} belongs to another user`);
      return;
    }
    this.removeResting(book, o.side === BUY ? book.bids : book.asks, o);
    this.emitCanceled(o, book, 'USER');
  }

  /** Order ids are shard-wide; a cancel must also name the order's own symbol. */
  private onBook(book: SymbolBook, o: RestingOrder): boolean {
    return o.level !== null && o.level.owner === (o.side === BUY ? book.bids : book.asks);
  }

  private emitFilled(o: RestingOrder, book: SymbolBook): void {
    this.emit('ORDER_FILLED', {
      orderId: o.orderId,
      userId: o.userId,
      symbol: book.instrument.symbol,
      filledQuantity: book.qty(o.filledLots),
    });
  }

  private emitUpdated(o: RestingOrder, book: SymbolBook): void {
    this.emit('ORDER_UPDATED', {
      orderId: o.orderId,
      userId: o.userId,
      symbol: book.instrument.symbol,
      status: 'PARTIALLY_FILLED',
      filledQuantity: book.qty(o.filledLots),
      remainingQuantity: book.qty(o.quantityLots - o.filledLots),
    });
  }

  private emitCanceled(o: RestingOrder, book: SymbolBook, reason: 'USER' | 'SELF_TRADE_PREVENTION'): void {
    this.emit('ORDER_CANCELED', {
      orderId: o.orderId,
      userId: o.userId,
      symbol: book.instrument.symbol,
      filledQuantity: book.qty(o.filledLots),
      canceledQuantity: book.qty(o.quantityLots - o.filledLots),
      reason,
    });
  }

  private expire(
    orderId: string,
    userId: string,
    book: SymbolBook,
    filled: number,
    remaining: number,
    reason: ExpireReason,
  ): void {
    this.emit('ORDER_EXPIRED', {
      orderId,
      userId,
      symbol: book.instrument.symbol,
      filledQuantity: book.qty(filled),
      expiredQuantity: book.qty(remaining),
      reason,
    });
  }

  // ---------------------------------------------------------------- market data

  /** Top `levels` price levels of each side, best first. */
  depth(symbol: string, levels = 10): DepthPayload | undefined {
    const book = this.books.get(symbol);
    if (!book) return undefined;
    const side = (s: BookSide): Array<[string, string]> => {
      const res: Array<[string, string]> = [];
      for (let i = s.levels.length - 1; i >= 0 && res.length < levels; i--) {
        const l = s.levels[i] as PriceLevel;
        res.push([l.priceText, lotsToQuantity(book.instrument, l.totalLots)]);
      }
      return res;
    };
    return { symbol, bids: side(book.bids), asks: side(book.asks) };
  }

  /**
   * DEPTH events for the symbols whose book changed since the last call, in the order they first changed.
   * They take sequence numbers, so call it at deterministic points (e.g. every N commands), not on a timer.
   */
  takeDepthEvents(levels = 10): EngineEvent[] {
    this.commandId = undefined;
    const dirty = this.dirtyBooks;
    this.dirtyBooks = [];
    for (const book of dirty) {
      book.dirty = false;
      this.emit('DEPTH', this.depth(book.instrument.symbol, levels) as DepthPayload);
    }
    return this.flush();
  }

  // ---------------------------------------------------------------- snapshots

  /** The whole state in a compact, versioned, JSON-serialisable form. */
  snapshot(): BookSnapshot {
    const books = [...this.books.values()].map((book) => {
      const orders: OrderTuple[] = [];
      for (const sideBook of [book.bids, book.asks]) {
        for (let i = sideBook.levels.length - 1; i >= 0; i--) {
          for (let o = (sideBook.levels[i] as PriceLevel).head; o !== null; o = o.next) {
            orders.push([o.orderId, o.userId, o.side, o.priceTicks, o.quantityLots, o.filledLots, o.stp]);
          }
        }
      }
      return { symbol: book.instrument.symbol, orders };
    });
    return {
      v: SNAPSHOT_VERSION,
      shardId: this.shardId,
      seq: this.seq,
      state: this.state,
      lifecycleIds: [...this.lifecycleIds],
      instruments: [...this.books.values()].map((b) => instrumentSpec(b.instrument)),
      books,
      dirtyOrder: this.dirtyBooks.map((b) => b.instrument.symbol),
    };
  }

  /** A book in exactly the state `snapshot` captured. */
  static restore(
    snapshot: BookSnapshot,
    options: Omit<OrderBookOptions, 'shardId'> & { shardId?: string } = {},
  ): OrderBook {
    if (snapshot?.v !== SNAPSHOT_VERSION) {
      throw new OrderBookError(
        'BOOK_ERR_SNAPSHOT_VERSION',
        `snapshot version ${String(snapshot?.v)}, this build reads ${SNAPSHOT_VERSION}`,
      );
    }
    if (options.shardId !== undefined && options.shardId !== snapshot.shardId) {
      throw new OrderBookError(
        'BOOK_ERR_SHARD_MISMATCH',
        `snapshot of ${snapshot.shardId} restored as ${options.shardId}`,
      );
    }
    const book = new OrderBook({ ...options, shardId: snapshot.shardId });
    const invalid = (why: string) => new OrderBookError('BOOK_ERR_SNAPSHOT_INVALID', why);
    if (!Number.isSafeInteger(snapshot.seq) || snapshot.seq < 0) throw invalid('bad seq');
    book.seq = snapshot.seq;
    book.state = snapshot.state;
    for (const id of snapshot.lifecycleIds) book.remember(id);
    const error = book.loadInstruments(snapshot.instruments);
    if (error) throw invalid(error);
    for (const entry of snapshot.books) {
      const sb = book.books.get(entry.symbol);
      if (!sb) throw invalid(`orders for unknown symbol ${entry.symbol}`);
      for (const t of entry.orders) {
        if (!Array.isArray(t) || t.length !== 7) throw invalid(`bad order tuple in ${entry.symbol}`);
        const [orderId, userId, side, price, qty, filled, stp] = t;
        if (book.orders.has(orderId)) throw invalid(`order ${orderId} appears twice`);
        if ((side !== BUY && side !== SELL) || !(filled >= 0 && filled < qty) || stp < 0 || stp > 3)
          throw invalid(`bad order ${orderId}`);
        const o = new RestingOrder(orderId, userId, side, price, qty, filled, stp);
        const sideBook = side === BUY ? sb.bids : sb.asks;
        sideBook.levelFor(price, sb.price(sideBook, price)).append(o);
        book.orders.set(orderId, o);
      }
    }
    for (const symbol of snapshot.dirtyOrder) {
      const sb = book.books.get(symbol);
      if (sb) book.markDirty(sb);
    }
    return book;
  }
}

/** Whether a `side` order with limit `limit` trades against a resting price `price`. */
function crosses(side: SideCode, limit: number, price: number): boolean {
  return side === BUY ? price <= limit : price >= limit;
}

/**
 * The worst price a market order may trade at: `bps` basis points from the best opposite price at arrival,
 * rounded toward the best price (never outside the band), at least one tick.
 */
export function bandLimit(side: SideCode, best: number, bps: number): number {
  const small = best <= Number.MAX_SAFE_INTEGER / 200_000;
  if (side === BUY) {
    const up = small
      ? Math.floor((best * (10_000 + bps)) / 10_000)
      : Number((BigInt(best) * BigInt(10_000 + bps)) / 10_000n);
    return up > Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : up;
  }
  if (bps >= 10_000) return 1;
  const num = small ? best * (10_000 - bps) : 0;
  const ceil = small ? Math.ceil(num / 10_000) : Number((BigInt(best) * BigInt(10_000 - bps) + 9_999n) / 10_000n);
  return ceil < 1 ? 1 : ceil;
}

export function createOrderBook(options: OrderBookOptions): OrderBook {
  return new OrderBook(options);
}
