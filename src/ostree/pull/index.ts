export * from './errors.js';
export * from './fetcher.js';
export * from './pull.js';
export * from './pull-local.js';
export * from './pull-ref.js';
