export {};
export * from './bls-entry.js';
export * from './bls-kargs.js';
export * from './origin.js';
export * from './treefile.js';
export * from './gvariant/index.js';
