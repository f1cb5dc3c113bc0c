export * from './errors.js';
export * from './store.js';
export * from './walk.js';
export * from './xz.js';
export * from './generate.js';
export * from './apply.js';
export * from './manage.js';
export * from './summary.js';
