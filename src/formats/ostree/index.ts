export * from './checksum.js';
export * from './objects.js';
export * from './errors.js';
