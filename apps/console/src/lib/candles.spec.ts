import { buildCandles, isUp, toChartBar, toChartVolume } from './candles';

const t = (seq: number, price: string, quantity: string, time: number) => ({
  tradeId: `shard-1-${seq}`,
  price,
  quantity,
  time,
});
const MIN = 60_000;
const T0 = 1_700_000_040_000; // a minute boundary: 1_700_000_040 s is divisible by 60

describe('candles from trades', () => {
  it('builds OHLC and exact volume per interval from trades in any order, each trade once', () => {
    const trades = [
      t(4, '101.00', '0.1', T0 + MIN + 1),
      t(3, '99.50', '0.2', T0 + 30_000),
      t(1, '100.00', '1.5', T0),
      t(2, '102.25', '0.3', T0 + 30_000), // same ms as seq 3: seq orders them, so 99.50 closes
      t(1, '100.00', '1.5', T0), // the same trade from the REST page and the stream
    ];
    expect(buildCandles(trades, 60)).toEqual([
      {
        time: T0 / 1000,
        open: '100.00',
        high: '102.25',
        low: '99.50',
        close: '99.50',
        volume: '2.0',
        trades: 3,
      },
      {
        time: T0 / 1000 + 60,
        open: '101.00',
        high: '101.00',
        low: '101.00',
        close: '101.00',
        volume: '0.1',
        trades: 1,
      },
    ]);
  });

  it('compares prices as decimals, not as text', () => {
    const [c] = buildCandles([t(1, '9.5', '1', T0), t(2, '10', '1', T0 + 1), t(3, '9.75', '1', T0 + 2)], 60);
    expect(c).toMatchObject({ high: '10', low: '9.5', close: '9.75' });
    const [up] = buildCandles([t(1, '9.5', '1', T0), t(2, '10', '1', T0 + 1)], 60);
    expect(isUp(up as NonNullable<typeof up>)).toBe(true); // as text, "10" < "9.5"
    const [down] = buildCandles([t(1, '10', '1', T0), t(2, '9.5', '1', T0 + 1)], 60);
    expect(isUp(down as NonNullable<typeof down>)).toBe(false);
  });

  it('hands the chart numbers, and only the chart', () => {
    const [c] = buildCandles([t(1, '65000.5', '1', T0)], 60);
    expect(toChartVolume(c as NonNullable<typeof c>)).toBe(1);
    expect(toChartBar(c as NonNullable<typeof c>)).toEqual({
      time: T0 / 1000,
      open: 65000.5,
      high: 65000.5,
      low: 65000.5,
      close: 65000.5,
    });
  });
});
