/**
 * The container engine: the one facade the CLI, the Docker API daemon and the cluster agent drive.
 * Layering: api → engine → runtime → image. The API imports only this file.
 */
export type * from './types.js';
export type { ContainerEngine } from './engine-api.js';
