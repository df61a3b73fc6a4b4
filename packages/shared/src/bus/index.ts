export * from './message-bus.ts';
export * from './subjects.ts';
export * from './topics.ts';
