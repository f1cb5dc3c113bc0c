export * from './archive.js';
export * from './go-units.js';
