/** A parameter the dashboard lets the user set before deploying an example, with its allowed range. */
export interface ExampleParam {
  name: string;
  label: string;
  default: number;
  min: number;
  max: number;
  /** 1 for integer parameters such as periods. */
  step: number;
}

export interface ExampleInfo {
  /** File name without .ts in examples/, and of the built .wasm in build/. */
  name: string;
  title: string;
  description: string;
  params: readonly ExampleParam[];
}

/** The examples the dashboard offers under "pick an example"; test/examples.test.ts keeps it in step with examples/. */
export const examples: readonly ExampleInfo[] = [
  {
    name: 'sma-crossover',
    title: 'Moving-average crossover',
    description:
      'Buys when the fast simple moving average of closes crosses above the slow one and sells the ' +
      'position when it crosses back below. Long only.',
    params: [
      { name: 'fast', label: 'Fast period', default: 10, min: 2, max: 200, step: 1 },
      { name: 'slow', label: 'Slow period', default: 30, min: 3, max: 500, step: 1 },
      {
        name: 'quantity',
        label: 'Order quantity (base)',
        default: 0.01,
        min: 0.00001,
        max: 1000,
        step: 0.00001,
      },
    ],
  },
  {
    name: 'rsi-mean-reversion',
    title: 'RSI mean reversion',
    description:
      "Buys when Wilder's RSI falls below the oversold level and sells the position when it rises above " +
      'the overbought level. Long only.',
    params: [
      { name: 'period', label: 'RSI period', default: 14, min: 2, max: 100, step: 1 },
      { name: 'oversold', label: 'Oversold level', default: 30, min: 1, max: 50, step: 1 },
      { name: 'overbought', label: 'Overbought level', default: 70, min: 50, max: 99, step: 1 },
      {
        name: 'quantity',
        label: 'Order quantity (base)',
        default: 0.01,
        min: 0.00001,
        max: 1000,
        step: 0.00001,
      },
    ],
  },
  {
    name: 'bollinger-breakout',
    title: 'Bollinger breakout',
    description:
      'Buys when a candle closes above the upper Bollinger band and sells the position when a candle ' +
      'closes below the middle band. Long only.',
    params: [
      { name: 'period', label: 'Band period', default: 20, min: 2, max: 200, step: 1 },
      { name: 'mult', label: 'Band width (standard deviations)', default: 2, min: 0.5, max: 5, step: 0.1 },
      {
        name: 'quantity',
        label: 'Order quantity (base)',
        default: 0.01,
        min: 0.00001,
        max: 1000,
        step: 0.00001,
      },
    ],
  },
];

export const exampleNames: readonly string[] = examples.map((e) => e.name);
