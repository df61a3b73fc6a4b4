// Exact fixed-point decimals for prices, sizes and money (no binary floating point). Why home-made:
// see the header of fixed-point.ts.
export * from './errors.ts';
export * from './fixed-point.ts';
export * from './safe-units.ts';
