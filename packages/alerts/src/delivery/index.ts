export * from './channels.ts';
export * from './delivery-config.ts';
export * from './delivery-queue.ts';
export * from './http-post.ts';
export * from './mailer.ts';
export * from './signature.ts';
export * from './ssrf-guard.ts';
