export {};
export * from './bls-entry.js';
export * from './bls-kargs.js';
export * from './origin.js';
export * from './treefile.js';
export * from './gvariant/index.js';
export * from './oci/index.js';
export * from './docker/index.js';
export * from './tar-path.js';
