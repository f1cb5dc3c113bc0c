export * from './errors.js';
export * from './detached.js';
export * from './ed25519.js';
export * from './gpg.js';
export * from './verify.js';
export * from './repo.js';
