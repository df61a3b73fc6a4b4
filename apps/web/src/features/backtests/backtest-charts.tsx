'use client';

import type { BacktestResultView, InstrumentRef, Kline } from '@qt/shared';
import { CandlestickChart, LineChart, ScatterChart } from 'echarts/charts';
import {
  AxisPointerComponent,
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import ReactEChartsCore from 'echarts-for-react/lib/core';
import { useMemo } from 'react';
import { equityChartOption, fillsChartOption } from './backtest-chart-options';
import { intervalMs } from './backtest-range';
import { fillMarkers } from './fill-markers';

// Only what these two charts draw (the full ECharts build is ~1 MB).
echarts.use([
  LineChart,
  CandlestickChart,
  ScatterChart,
  GridComponent,
  TooltipComponent,
  AxisPointerComponent,
  DataZoomComponent,
  LegendComponent,
  CanvasRenderer,
]);

const fill = { height: '100%', width: '100%' };

export function EquityChart({ result }: { result: BacktestResultView }) {
  const bh = result.report?.buyAndHold ?? null;
  const option = useMemo(
    () =>
      equityChartOption(
        result.equity,
        result.drawdown,
        bh && { label: `Buy & hold ${bh.symbol}`, curve: bh.curve },
      ),
    [result.equity, result.drawdown, bh],
  );
  return (
    <ReactEChartsCore echarts={echarts} option={option} notMerge style={fill} opts={{ renderer: 'canvas' }} />
  );
}

export function FillsChart({
  result,
  instrument,
  candles,
}: {
  result: BacktestResultView;
  instrument: InstrumentRef;
  candles: readonly Kline[];
}) {
  const { interval } = result.backtest;
  const option = useMemo(() => {
    const markers = fillMarkers(
      result.fills,
      instrument,
      candles.map((k) => k.openTime),
      intervalMs[interval],
    );
    return fillsChartOption(candles, markers, interval);
  }, [result.fills, instrument, candles, interval]);
  return (
    <ReactEChartsCore echarts={echarts} option={option} notMerge style={fill} opts={{ renderer: 'canvas' }} />
  );
}
