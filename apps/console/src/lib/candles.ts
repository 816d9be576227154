import { addDecimal, compareDecimal } from './decimal';

/** A trade as the chart needs it: the API's decimal strings and when it happened (epoch ms). */
export interface TimedTrade {
  tradeId: string;
  price: string;
  quantity: string;
  time: number;
}

/** One interval's OHLC, in the API's decimal strings; `time` is the interval's start, epoch seconds. */
export interface Candle {
  time: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  trades: number;
}

/**
 * Candles of `intervalSeconds` from trades in any order (a REST page is newest first, the stream oldest first):
 * sorted by time, ties by trade id's sequence so the close is the last trade. Duplicates (same tradeId) count once.
 */
export function buildCandles(trades: readonly TimedTrade[], intervalSeconds: number): Candle[] {
  const seen = new Set<string>();
  const unique = trades.filter((t) => (seen.has(t.tradeId) ? false : (seen.add(t.tradeId), true)));
  unique.sort((a, b) => a.time - b.time || seqOf(a.tradeId) - seqOf(b.tradeId));
  const candles: Candle[] = [];
  for (const t of unique) {
    const start = Math.floor(t.time / 1000 / intervalSeconds) * intervalSeconds;
    const last = candles[candles.length - 1];
    if (last && last.time === start) {
      if (compareDecimal(t.price, last.high) > 0) last.high = t.price;
      if (compareDecimal(t.price, last.low) < 0) last.low = t.price;
      last.close = t.price;
      last.volume = addDecimal(last.volume, t.quantity);
      last.trades++;
    } else {
      candles.push({
        time: start,
        open: t.price,
        high: t.price,
        low: t.price,
        close: t.price,
        volume: t.quantity,
        trades: 1,
      });
    }
  }
  return candles;
}

/** `<shardId>-<seq>` → seq (trade ids of one symbol come from one shard). */
function seqOf(tradeId: string): number {
  const n = Number(tradeId.slice(tradeId.lastIndexOf('-') + 1));
  return Number.isFinite(n) ? n : 0;
}

/** The chart library plots numbers: the conversion happens here, for drawing only. */
export function toChartBar(c: Candle): { time: number; open: number; high: number; low: number; close: number } {
  return { time: c.time, open: Number(c.open), high: Number(c.high), low: Number(c.low), close: Number(c.close) };
}

/** The candle's volume bar height, for drawing only. */
export function toChartVolume(c: Candle): number {
  return Number(c.volume);
}

/** Closed at or above its open (compared as decimals: "10" is above "9.5"). */
export function isUp(c: Candle): boolean {
  return compareDecimal(c.close, c.open) >= 0;
}
