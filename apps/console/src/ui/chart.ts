import {
  CandlestickSeries,
  ColorType,
  createChart,
  HistogramSeries,
  type IChartApi,
  type ISeriesApi,
  type UTCTimestamp,
} from 'lightweight-charts';
import { type Candle, isUp, toChartBar, toChartVolume } from '../lib/candles';

/** The candle chart of the selected symbol (lightweight-charts; numbers for plotting only). */
export class PriceChart {
  private readonly chart: IChartApi;
  private readonly series: ISeriesApi<'Candlestick'>;
  private readonly volume: ISeriesApi<'Histogram'>;

  constructor(container: HTMLElement) {
    this.chart = createChart(container, {
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: '#171b21' }, textColor: '#8893a2' },
      grid: { vertLines: { color: '#222831' }, horzLines: { color: '#222831' } },
      timeScale: { timeVisible: true, secondsVisible: false, rightOffset: 4 },
      rightPriceScale: { borderColor: '#262c35' },
    });
    this.series = this.chart.addSeries(CandlestickSeries, {
      upColor: '#2ebd85',
      downColor: '#f0616d',
      wickUpColor: '#2ebd85',
      wickDownColor: '#f0616d',
      borderVisible: false,
    });
    // Volume bars along the bottom fifth, on a scale of their own (an overlay).
    this.volume = this.chart.addSeries(HistogramSeries, {
      priceFormat: { type: 'volume' },
      priceScaleId: '',
      // Its last value and price line would sit on the price axis among the prices.
      lastValueVisible: false,
      priceLineVisible: false,
    });
    this.volume.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
  }

  /** The tick size sets the axis' precision: "0.01" → 2 decimals. */
  setTick(tickSize: string): void {
    const decimals = tickSize.includes('.') ? (tickSize.split('.')[1] ?? '').length : 0;
    this.series.applyOptions({ priceFormat: { type: 'price', precision: decimals, minMove: Number(tickSize) } });
  }

  show(candles: readonly Candle[]): void {
    this.series.setData(candles.map((c) => ({ ...toChartBar(c), time: c.time as UTCTimestamp })));
    this.volume.setData(
      candles.map((c) => ({
        time: c.time as UTCTimestamp,
        value: toChartVolume(c),
        color: isUp(c) ? 'rgba(46, 189, 133, 0.45)' : 'rgba(240, 97, 109, 0.45)',
      })),
    );
  }
}
