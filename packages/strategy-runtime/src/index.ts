export * from './abi.ts';
export type * from './driver.ts';
