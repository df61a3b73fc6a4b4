'use client';

import { LineChart } from 'echarts/charts';
import { AxisPointerComponent, DataZoomComponent, GridComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import ReactEChartsCore from 'echarts-for-react/lib/core';
import { useMemo } from 'react';
import { equityChartOption } from '../backtests/backtest-chart-options';

echarts.use([
  LineChart,
  GridComponent,
  TooltipComponent,
  AxisPointerComponent,
  DataZoomComponent,
  CanvasRenderer,
]);

/** Equity above, drawdown below: the same drawing as a backtest's, for a listing's verified or forward record. */
export function EquityDrawdownChart({
  equity,
  drawdown,
}: {
  equity: readonly [number, number][];
  drawdown: readonly [number, number][];
}) {
  const option = useMemo(() => equityChartOption(equity, drawdown), [equity, drawdown]);
  return (
    <ReactEChartsCore
      echarts={echarts}
      option={option}
      notMerge
      style={{ height: '100%', width: '100%' }}
      opts={{ renderer: 'canvas' }}
    />
  );
}
