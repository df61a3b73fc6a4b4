'use client';

import { LineChart } from 'echarts/charts';
import { GridComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import ReactEChartsCore from 'echarts-for-react/lib/core';
import { useEffect, useMemo, useState } from 'react';
import { chartColors } from '../markets/chart-theme';
import type { DepthCurves } from './depth-chart-model';

echarts.use([LineChart, GridComponent, TooltipComponent, CanvasRenderer]);

type Instance = ReturnType<typeof echarts.init>;

export interface DepthChartProps {
  curves: DepthCurves;
  priceDecimals: number;
}

/**
 * The depth chart: cumulative size against price, bids stepping down to the left of the spread and
 * asks stepping up to its right, as filled step areas. Data goes straight to the ECharts instance on each
 * book state (as the candle chart does); React only says when.
 */
export default function DepthChart({ curves, priceDecimals }: DepthChartProps) {
  const [chart, setChart] = useState<Instance | null>(null);
  const option = useMemo(() => baseOption(priceDecimals), [priceDecimals]);

  useEffect(() => {
    if (!chart) return;
    // Bids are drawn from the lowest price up, so the area's step faces the spread.
    chart.setOption(
      {
        series: [
          { id: 'bids', data: [...curves.bids].reverse() },
          { id: 'asks', data: curves.asks },
        ],
      },
      { silent: true },
    );
  }, [chart, curves]);

  return (
    <ReactEChartsCore
      echarts={echarts}
      option={option}
      onChartReady={setChart}
      style={{ height: '100%', width: '100%' }}
      opts={{ renderer: 'canvas' }}
    />
  );
}

function baseOption(priceDecimals: number) {
  const side = (id: 'bids' | 'asks', color: string, fill: string) => ({
    id,
    name: id === 'bids' ? 'Bids' : 'Asks',
    type: 'line' as const,
    // Cumulative size holds from a level until the next one further out: a step.
    step: id === 'bids' ? ('start' as const) : ('end' as const),
    showSymbol: false,
    animation: false,
    lineStyle: { color, width: 1.5 },
    areaStyle: { color: fill },
    data: [] as [number, number][],
  });
  return {
    backgroundColor: 'transparent',
    animation: false,
    grid: { left: 8, right: 56, top: 12, bottom: 24, containLabel: false },
    tooltip: {
      trigger: 'axis' as const,
      backgroundColor: chartColors.tooltipBg,
      borderColor: chartColors.tooltipBorder,
      textStyle: { color: chartColors.text, fontSize: 11 },
      valueFormatter: (v: unknown) => String(v),
    },
    xAxis: {
      type: 'value' as const,
      scale: true,
      axisLine: { lineStyle: { color: chartColors.axis } },
      axisLabel: {
        color: chartColors.label,
        fontSize: 10,
        hideOverlap: true,
        formatter: (v: number) => v.toFixed(priceDecimals),
      },
      splitLine: { show: false },
    },
    yAxis: {
      type: 'value' as const,
      position: 'right' as const,
      axisLabel: { color: chartColors.label, fontSize: 10 },
      splitLine: { lineStyle: { color: chartColors.grid } },
    },
    series: [
      side('bids', chartColors.up, chartColors.upVolume),
      side('asks', chartColors.down, chartColors.downVolume),
    ],
  };
}
