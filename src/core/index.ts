export * from './errors.js';
export * from './fs.js';
export * from './exec.js';
export * from './file-lock.js';
export * from './extra-ca.js';
