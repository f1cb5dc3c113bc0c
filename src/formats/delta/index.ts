export * from './errors.js';
export * from './varint.js';
export * from './names.js';
export * from './bsdiff.js';
export * from './superblock.js';
export * from './part.js';
