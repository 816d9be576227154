import {
  type CancelAllOrdersCommand,
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
  instrumentSpec,
  type LifecycleCommand,
  lotsToQuantity,
  MAX_ISSUED_AT,
  type OrderCommand,
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
import { DedupMemory, hashId } from './dedup-memory';
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
  UserTally,
} from './price-levels';
import {
  type BookSnapshot,
  type BookSnapshotV1,
  type OrderTuple,
  READABLE_SNAPSHOT_VERSIONS,
  SNAPSHOT_VERSION,
  upgradeSnapshotV1,
} from './snapshot';

/** Default of `OrderBookOptions.dedupWindowMs`. */
export const DEFAULT_DEDUP_WINDOW_MS = 60_000;
/** Largest de-duplication window: the memory holds every order command of a window, so it grows with it. */
export const MAX_DEDUP_WINDOW_MS = 86_400_000;

export interface OrderBookOptions {
  /** Stamped on every event and part of every trade id. */
  shardId: string;
  /** How many recent lifecycle command ids are remembered for de-duplication. Default 1024. */
  lifecycleMemory?: number;
  /**
   * De-duplication window of order commands, in milliseconds of `issuedAt` (an integer 1-86,400,000; default
   * 60,000). Within it a commandId is never applied twice and an accepted orderId never accepted again; an order
   * command whose issuedAt is more than this behind the newest one taken is rejected as STALE_COMMAND. Recorded in
   * snapshots: a restored book keeps the window it ran with.
   */
  dedupWindowMs?: number;
}

const ENGINE_STATES: readonly EngineState[] = ['NEW', 'INITIALIZED', 'RUNNING', 'STOPPED'];

/** A value for a message about bad input: `String(x)` is not safe (an object's own `toString` may be junk). */
function shown(value: unknown): string {
  return typeof value === 'string' ? value : typeof value;
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

  // The cache only saves formatting: any slot, and a miss at any time, give the same text. Mutants that change the
  // slot or force a miss are equivalent; one that returns a text for another key is not (and is caught).
  get(n: number): string {
    // Stryker disable next-line ArithmeticOperator: any slot is correct, the key is compared
    const i = (n >>> 0) & (TextCache.SIZE - 1);
    // Stryker disable next-line ConditionalExpression: a forced miss formats the same text
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
  /** Open (resting) orders on both sides. */
  open = 0;
  /** Open orders per user; derived from the resting orders (a restore rebuilds it), a user leaves it at zero. */
  readonly users = new Map<string, UserTally>();
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
    // Stryker disable next-line ConditionalExpression: a new cache instead of a shared one formats the same text
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

  /**
   * Counts an order that starts resting. `known` is its user's tally if the caller already looked it up; it is
   * still the live one if its count is above zero (a tally leaves the map only when it reaches zero).
   */
  track(o: RestingOrder, known?: UserTally): void {
    let tally = known !== undefined && known.count > 0 ? known : this.users.get(o.userId);
    if (tally === undefined) {
      tally = new UserTally();
      this.users.set(o.userId, tally);
    }
    tally.add(o);
    o.tally = tally;
    this.open++;
  }

  /** Uncounts an order that stops resting. */
  untrack(o: RestingOrder): void {
    const tally = o.tally;
    if (tally !== null) {
      o.tally = null;
      tally.remove(o);
      if (tally.count === 0) this.users.delete(o.userId);
    }
    this.open--;
  }

  /**
   * Why `next` cannot replace the instrument while orders rest, or undefined. Open orders are counted in ticks and
   * lots, so the grid must stay; and the quantity range and the caps must still hold every open order, or the book
   * would be in a state no command could have produced (a restore refuses such a state).
   */
  incompatibility(next: Instrument): string | undefined {
    const now = this.instrument;
    if (this.open === 0) return undefined;
    if (
      now.tickSize !== next.tickSize ||
      now.lotSize !== next.lotSize ||
      now.priceScale !== next.priceScale ||
      now.quantityScale !== next.quantityScale
    ) {
      return 'its tick, lot and scales cannot change';
    }
    if (this.open > next.maxOpenOrders)
      return `maxOpenOrders ${next.maxOpenOrders} is below its ${this.open} open orders`;
    for (const [user, tally] of this.users) {
      if (tally.count > next.maxOpenOrdersPerUser)
        return `maxOpenOrdersPerUser ${next.maxOpenOrdersPerUser} is below the ${tally.count} open orders of ${user}`;
    }
    for (const side of [this.bids, this.asks]) {
      for (const level of side.levels) {
        for (let o = level.head; o !== null; o = o.next) {
          if (o.quantityLots < next.minLots || o.quantityLots > next.maxLots)
            return `open order ${o.orderId} of ${lotsToQuantity(now, o.quantityLots)} is outside minQty-maxQty`;
        }
      }
    }
    return undefined;
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

  // De-duplication of order commands. Engine time is input (the largest issuedAt taken), never a clock, so it
  // replays identically. An entry leaves the memory once its issuedAt falls behind engineTime - window, in arrival
  // order: with out-of-order issuedAt an entry may wait behind a younger one and live a little longer than the
  // window, never shorter.
  private readonly dedupWindowMs: number;
  private engineTime = 0;
  private readonly recent = new DedupMemory();

  constructor({ shardId, lifecycleMemory = 1024, dedupWindowMs = DEFAULT_DEDUP_WINDOW_MS }: OrderBookOptions) {
    if (typeof shardId !== 'string' || shardId.length === 0)
      throw new OrderBookError('BOOK_ERR_CONFIG', 'shardId is required');
    if (!Number.isInteger(lifecycleMemory) || lifecycleMemory < 1) {
      throw new OrderBookError('BOOK_ERR_CONFIG', 'lifecycleMemory must be a positive integer');
    }
    if (!validWindow(dedupWindowMs)) {
      throw new OrderBookError('BOOK_ERR_CONFIG', `dedupWindowMs must be an integer 1-${MAX_DEDUP_WINDOW_MS}`);
    }
    this.shardId = shardId;
    this.lifecycleMemory = lifecycleMemory;
    this.dedupWindowMs = dedupWindowMs;
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

  /**
   * Applies one command and returns the events it caused, in order. Never throws, whatever it is given: anything
   * that is not a well-formed command becomes an ORDER_REJECTED.
   */
  apply(command: Command): EngineEvent[] {
    // Typed callers pass commands the codec checked, but the contract is "never throws": an envelope that is not
    // one (no object, no commandId, an issuedAt that is not an epoch-ms integer) is refused before anything reads it.
    if (typeof command !== 'object' || command === null) {
      this.reject({}, 'MALFORMED_COMMAND', `a command must be an object, got ${shown(command)}`, 'CODEC_ERR_SCHEMA');
      return this.flush();
    }
    const { commandId, issuedAt } = command;
    if (typeof commandId !== 'string' || commandId === '') {
      this.reject({}, 'MALFORMED_COMMAND', 'commandId must be a non-empty string', 'CODEC_ERR_SCHEMA');
      return this.flush();
    }
    this.commandId = commandId;
    if (!Number.isSafeInteger(issuedAt) || issuedAt < 0 || issuedAt > MAX_ISSUED_AT) {
      this.reject({}, 'MALFORMED_COMMAND', `issuedAt must be an integer 0-${MAX_ISSUED_AT}`, 'CODEC_ERR_SCHEMA');
      return this.flush();
    }
    switch (command.code) {
      case 'PLACE_ORDER':
        if (this.admit(command)) this.place(command);
        break;
      case 'CANCEL_ORDER':
        if (this.admit(command)) this.cancel(command);
        break;
      case 'CANCEL_ALL_ORDERS':
        if (this.admit(command)) this.cancelAll(command);
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
          `unknown command code "${shown((command as { code: unknown }).code)}"`,
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

  /**
   * Makes `specs` the shard's complete instrument set, all or nothing: validates the whole list before changing
   * anything; returns an error message or undefined. Listed symbols are added or updated, unlisted ones removed
   * with their book and pending depth update, which only a book without open orders may be.
   */
  private loadInstruments(specs: unknown): string | undefined {
    if (!Array.isArray(specs)) return 'instruments must be an array';
    const compiled: Instrument[] = [];
    const listed = new Set<string>();
    for (const spec of specs as unknown[]) {
      const r = compileInstrument(spec);
      if (!r.ok) return r.message;
      const symbol = r.value.symbol;
      if (listed.has(symbol)) return `instrument ${symbol} is listed twice`;
      listed.add(symbol);
      const why = this.books.get(symbol)?.incompatibility(r.value);
      if (why !== undefined) return `instrument ${symbol} has open orders: ${why}`;
      compiled.push(r.value);
    }
    const kept: string[] = [];
    for (const [symbol, book] of this.books) if (!listed.has(symbol) && book.open > 0) kept.push(symbol);
    if (kept.length > 0) {
      return `${kept.join(', ')} not listed but still ${kept.length === 1 ? 'has' : 'have'} open orders: cancel them before removing the symbol`;
    }
    for (const [symbol, book] of this.books) {
      if (listed.has(symbol)) continue;
      this.books.delete(symbol);
      if (book.dirty) this.dirtyBooks = this.dirtyBooks.filter((b) => b !== book);
    }
    for (const instrument of compiled) {
      const existing = this.books.get(instrument.symbol);
      if (existing) existing.setInstrument(instrument);
      else this.books.set(instrument.symbol, new SymbolBook(instrument, this.textCaches));
    }
    return undefined;
  }

  // ---------------------------------------------------------------- de-duplication

  /**
   * The gate every order command passes before it is looked at: the engine must be RUNNING, the command not stale
   * and not seen within the window. A command that passes is remembered, whatever its outcome, and moves engine
   * time. Returns false when the command was rejected (its event is emitted).
   */
  private admit(command: OrderCommand): boolean {
    const p = command.payload as Partial<OrderCommand['payload']> | null | undefined;
    if (this.state !== 'RUNNING') {
      this.reject(p ?? {}, 'ENGINE_NOT_RUNNING', `engine is ${this.state}`);
      return false;
    }
    const t = command.issuedAt;
    if (t < this.engineTime - this.dedupWindowMs) {
      this.reject(
        p ?? {},
        'STALE_COMMAND',
        `issuedAt ${t} is more than ${this.dedupWindowMs} ms behind the newest command (${this.engineTime})`,
      );
      return false;
    }
    const id = command.commandId;
    const hash = hashId(id);
    if (this.recent.hasCommand(id, hash)) {
      this.reject(p ?? {}, 'DUPLICATE_COMMAND', `command ${id} was already applied`);
      return false;
    }
    if (t > this.engineTime) {
      this.engineTime = t;
      this.recent.expireBefore(t - this.dedupWindowMs);
    }
    this.recent.add(t, id, hash);
    return true;
  }

  // ---------------------------------------------------------------- orders

  private place(command: PlaceOrderCommand): void {
    const p = command.payload;
    if (!p || typeof p.orderId !== 'string' || p.orderId === '' || typeof p.userId !== 'string' || p.userId === '') {
      this.reject(p ?? {}, 'INVALID_ORDER', 'orderId and userId are required');
      return;
    }
    const book = this.books.get(p.symbol);
    if (!book) {
      this.reject(p, 'UNKNOWN_SYMBOL', `no instrument "${shown(p.symbol)}" on ${this.shardId}`);
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
    const orderHash = hashId(p.orderId);
    if (this.orders.has(p.orderId) || this.recent.hasOrder(p.orderId, orderHash)) {
      this.reject(
        p,
        'DUPLICATE_ORDER_ID',
        `order ${p.orderId} was already accepted (it is open, or was accepted within the de-duplication window)`,
      );
      return;
    }
    // Only a GTC limit order can rest, so only it is held to the caps; it is refused before it can trade.
    let tally: UserTally | undefined;
    if (tif === 'GTC' && !isMarket) {
      if (book.open >= instrument.maxOpenOrders) {
        this.reject(p, 'MAX_OPEN_ORDERS', `${p.symbol} has ${book.open} open orders, its cap`);
        return;
      }
      tally = book.users.get(p.userId);
      if (tally !== undefined && tally.count >= instrument.maxOpenOrdersPerUser) {
        this.reject(
          p,
          'MAX_OPEN_ORDERS_PER_USER',
          `${p.userId} has ${tally.count} open orders on ${p.symbol}, its cap`,
        );
        return;
      }
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
    this.recent.acceptNewest(p.orderId, orderHash);

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
    book.track(taker, tally);
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
        level.sub(lots);
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
    book.untrack(o);
    this.orders.delete(o.orderId);
    this.markDirty(book);
  }

  private cancel(command: CancelOrderCommand): void {
    const p = command.payload;
    const o = p ? this.orders.get(p.orderId) : undefined;
    const book = p ? this.books.get(p.symbol) : undefined;
    if (!p || !o || !book || !this.onBook(book, o)) {
      this.reject(p ?? {}, 'ORDER_NOT_FOUND', `no open order ${shown(p?.orderId)} on ${shown(p?.symbol)}`);
      return;
    }
    if (o.userId !== p.userId) {
      this.reject(p, 'NOT_ORDER_OWNER', `order ${p.orderId} belongs to another user`);
      return;
    }
    this.removeResting(book, o.side === BUY ? book.bids : book.asks, o);
    this.emitCanceled(o, book, 'USER');
  }

  /**
   * Cancels every open order of the user on the symbol (see CancelAllOrdersPayload for the contract). The user's
   * list on the book (UserTally) holds exactly those orders, so this costs O(k log k) for the user's k orders
   * whatever the size of the book; a scan of the book would cost every resting order of every user, on the one
   * thread that matches the whole shard.
   */
  private cancelAll(command: CancelAllOrdersCommand): void {
    const p = command.payload;
    const book = p ? this.books.get(p.symbol) : undefined;
    if (!p || !book) {
      this.reject(p ?? {}, 'UNKNOWN_SYMBOL', `no instrument "${shown(p?.symbol)}" on ${this.shardId}`);
      return;
    }
    const tally = book.users.get(p.userId);
    if (tally === undefined) {
      // A rejection rather than silence: every command gets an answer naming it, so a caller waiting for the
      // outcome (the gateway's result mode) learns at once that there was nothing to cancel, instead of timing out
      // on an engine that said nothing; the de-duplication memory has the command all the same (admit did that).
      // Binance answers a cancel-all without open orders with its "unknown order" error too; a gateway that
      // prefers Coinbase's empty list can map this reason to one.
      this.reject(p, 'ORDER_NOT_FOUND', `${shown(p.userId)} has no open order on ${p.symbol}`);
      return;
    }
    const orders: RestingOrder[] = [];
    for (let o = tally.head; o !== null; o = o.userNext) orders.push(o);
    // Book priority, a function of the book alone: the list's own order (arrival into the book) is not kept by a
    // snapshot, so a restored shard would cancel in another order and its events would differ from the original
    // run's. The sort is stable and the list keeps each level's FIFO order (see UserTally), so ties stay FIFO.
    orders.sort(byPriority);
    for (const o of orders) {
      this.removeResting(book, o.side === BUY ? book.bids : book.asks, o);
      this.emitCanceled(o, book, 'USER');
    }
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
        res.push([l.priceText, lotsToQuantity(book.instrument, l.total())]);
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
      dedupWindowMs: this.dedupWindowMs,
      engineTime: this.engineTime,
      recent: this.recent.entries(),
    };
  }

  /**
   * A book in exactly the state `snapshot` captured. Reads the current layout and version 1 (upgraded: empty
   * de-duplication memory, engine time 0). Checks everything and throws BOOK_ERR_SNAPSHOT_INVALID for a state no
   * run of commands could have produced, rather than matching on it. The de-duplication window is the snapshot's:
   * `options.dedupWindowMs` only sets it for a version-1 snapshot, which has none (a different window than the run
   * had would make a replay diverge).
   */
  static restore(
    snapshot: BookSnapshot | BookSnapshotV1,
    options: Omit<OrderBookOptions, 'shardId'> & { shardId?: string } = {},
  ): OrderBook {
    const invalid = (why: string) => new OrderBookError('BOOK_ERR_SNAPSHOT_INVALID', why);
    if (typeof snapshot !== 'object' || snapshot === null) throw invalid('a snapshot must be an object');
    const v: unknown = snapshot.v;
    if (!READABLE_SNAPSHOT_VERSIONS.includes(v as number)) {
      throw new OrderBookError(
        'BOOK_ERR_SNAPSHOT_VERSION',
        `snapshot version ${typeof v === 'number' ? v : shown(v)}, this build reads ${READABLE_SNAPSHOT_VERSIONS.join(', ')}`,
      );
    }
    if (snapshot.v === 1 && options.dedupWindowMs !== undefined && !validWindow(options.dedupWindowMs))
      throw new OrderBookError('BOOK_ERR_CONFIG', `dedupWindowMs must be an integer 1-${MAX_DEDUP_WINDOW_MS}`);
    const snap =
      snapshot.v === 1
        ? upgradeSnapshotV1(snapshot, options.dedupWindowMs ?? DEFAULT_DEDUP_WINDOW_MS)
        : (snapshot as BookSnapshot);
    if (typeof snap.shardId !== 'string' || snap.shardId === '') throw invalid('bad shardId');
    if (options.shardId !== undefined && options.shardId !== snap.shardId) {
      throw new OrderBookError('BOOK_ERR_SHARD_MISMATCH', `snapshot of ${snap.shardId} restored as ${options.shardId}`);
    }
    if (!validWindow(snap.dedupWindowMs)) throw invalid('bad dedupWindowMs');
    const book = new OrderBook({ ...options, shardId: snap.shardId, dedupWindowMs: snap.dedupWindowMs });
    if (!Number.isSafeInteger(snap.seq) || snap.seq < 0) throw invalid('bad seq');
    book.seq = snap.seq;
    if (!ENGINE_STATES.includes(snap.state)) throw invalid(`unknown engine state ${shown(snap.state)}`);
    book.state = snap.state;
    if (!Array.isArray(snap.lifecycleIds)) throw invalid('lifecycleIds must be an array');
    const lifecycleIds = new Set<string>();
    for (const id of snap.lifecycleIds as unknown[]) {
      if (!isId(id) || lifecycleIds.has(id)) throw invalid(`bad or repeated lifecycle id ${shown(id)}`);
      lifecycleIds.add(id);
      book.remember(id);
    }
    const error = book.loadInstruments(snap.instruments);
    if (error) throw invalid(error);
    // NEW means no INITIALIZE_ENGINE ever succeeded, and only one loads instruments.
    if (book.state === 'NEW' && book.books.size > 0) throw invalid('a NEW engine has no instruments');
    book.restoreOrders(snap.books, invalid);
    if (!Array.isArray(snap.dirtyOrder)) throw invalid('dirtyOrder must be an array');
    for (const symbol of snap.dirtyOrder as unknown[]) {
      const sb = typeof symbol === 'string' ? book.books.get(symbol) : undefined;
      if (!sb || sb.dirty) throw invalid(`dirtyOrder names ${shown(symbol)}: unknown or twice`);
      book.markDirty(sb);
    }
    book.restoreDedup(snap.engineTime, snap.recent, invalid);
    return book;
  }

  private restoreOrders(books: unknown, invalid: (why: string) => OrderBookError): void {
    if (!Array.isArray(books)) throw invalid('books must be an array');
    const done = new Set<SymbolBook>();
    for (const entry of books as unknown[]) {
      const { symbol, orders } = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
      const sb = typeof symbol === 'string' ? this.books.get(symbol) : undefined;
      if (!sb || done.has(sb)) throw invalid(`orders for unknown (or twice listed) symbol ${shown(symbol)}`);
      done.add(sb);
      if (!Array.isArray(orders)) throw invalid(`orders of ${sb.instrument.symbol} must be an array`);
      const i = sb.instrument;
      for (const t of orders as unknown[]) {
        if (!Array.isArray(t) || t.length !== 7) throw invalid(`bad order tuple in ${i.symbol}`);
        const [orderId, userId, side, price, qty, filled, stp] = t as unknown[];
        if (!isId(orderId) || !isId(userId)) throw invalid(`order ids and user ids must be non-empty strings`);
        if (this.orders.has(orderId)) throw invalid(`order ${orderId} appears twice`);
        if (side !== BUY && side !== SELL) throw invalid(`order ${orderId}: bad side`);
        // A price the wire could have carried: a positive tick count whose units stay exact.
        if (!isIntIn(price, 1, Math.floor(Number.MAX_SAFE_INTEGER / i.tickUnits)))
          throw invalid(`order ${orderId}: bad price`);
        if (!isIntIn(qty, i.minLots, i.maxLots)) throw invalid(`order ${orderId}: quantity outside minQty-maxQty`);
        if (!isIntIn(filled, 0, qty - 1)) throw invalid(`order ${orderId}: filled must be 0 to quantity - 1`);
        if (!isIntIn(stp, 0, STP_MODES.length - 1)) throw invalid(`order ${orderId}: bad STP mode`);
        const o = new RestingOrder(orderId, userId, side, price, qty, filled, stp);
        const sideBook = side === BUY ? sb.bids : sb.asks;
        sideBook.levelFor(price, sb.price(sideBook, price)).append(o);
        this.orders.set(orderId, o);
        sb.track(o);
      }
      if (sb.open > i.maxOpenOrders) throw invalid(`${i.symbol}: more open orders than maxOpenOrders`);
      for (const [user, tally] of sb.users) {
        if (tally.count > i.maxOpenOrdersPerUser) throw invalid(`${i.symbol}: ${user} is over maxOpenOrdersPerUser`);
      }
      const bid = sb.bids.best();
      const ask = sb.asks.best();
      if (bid !== undefined && ask !== undefined && bid.priceTicks >= ask.priceTicks)
        throw invalid(`${i.symbol}: crossed book (bid ${bid.priceText} ≥ ask ${ask.priceText})`);
    }
  }

  /**
   * The de-duplication memory as the engine keeps it: ids unique, times within [0, engineTime], the newest entry
   * at engineTime, the oldest not yet expired. Empty only when no order command was ever taken (engine time 0).
   */
  private restoreDedup(engineTime: unknown, recent: unknown, invalid: (why: string) => OrderBookError): void {
    if (!isIntIn(engineTime, 0, MAX_ISSUED_AT)) throw invalid('bad engineTime');
    if (!Array.isArray(recent)) throw invalid('recent must be an array');
    let newest = 0;
    for (const e of recent as unknown[]) {
      if (!Array.isArray(e) || (e.length !== 2 && e.length !== 3)) throw invalid('bad de-duplication entry');
      const [t, commandId, orderId] = e as unknown[];
      if (!isIntIn(t, 0, engineTime)) throw invalid(`de-duplication entry time ${shown(t)} outside 0-engineTime`);
      if (!isId(commandId)) throw invalid(`bad de-duplication command id ${shown(commandId)}`);
      const hash = hashId(commandId);
      if (this.recent.hasCommand(commandId, hash)) throw invalid(`command ${commandId} remembered twice`);
      if (t > newest) newest = t;
      this.recent.add(t, commandId, hash);
      if (orderId === undefined) continue;
      if (!isId(orderId)) throw invalid(`bad de-duplication order id ${shown(orderId)}`);
      const orderHash = hashId(orderId);
      if (this.recent.hasOrder(orderId, orderHash)) throw invalid(`order ${orderId} remembered twice`);
      this.recent.acceptNewest(orderId, orderHash);
    }
    const oldest = this.recent.oldestTime();
    if (oldest === undefined ? engineTime !== 0 : newest !== engineTime || oldest < engineTime - this.dedupWindowMs)
      throw invalid('de-duplication memory does not match engineTime');
    this.engineTime = engineTime;
  }
}

const isId = (v: unknown): v is string => typeof v === 'string' && v !== '';
const isIntIn = (v: unknown, min: number, max: number): v is number =>
  Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
const validWindow = (ms: unknown): ms is number => isIntIn(ms, 1, MAX_DEDUP_WINDOW_MS);

/**
 * Priority of two orders of one book, as a snapshot lists them: bids before asks, the better price first. Orders of
 * one level compare equal: a stable sort leaves them in the order it was given.
 */
function byPriority(a: RestingOrder, b: RestingOrder): number {
  if (a.side !== b.side) return a.side - b.side;
  return a.side === BUY ? b.priceTicks - a.priceTicks : a.priceTicks - b.priceTicks;
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
