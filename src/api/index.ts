/**
 * The Docker Engine API (v1.50) over a Unix socket, driven by the real docker CLI and client libraries.
 * `createApiRouter(backend)` builds the routes; `ApiServer` serves them.
 */
import type { ApiBackend } from './backend.js';
import type { RouteHandler } from './context.js';
import { Router } from './router.js';
import { addContainerRoutes } from './routes/containers.js';
import { addImageRoutes } from './routes/images.js';
import { addSystemRoutes } from './routes/system.js';
import { addVolumeRoutes } from './routes/volumes.js';

export function createApiRouter(backend: ApiBackend): Router<RouteHandler> {
  const router = new Router<RouteHandler>();
  addSystemRoutes(router, backend);
  addContainerRoutes(router, backend);
  addImageRoutes(router, backend);
  addVolumeRoutes(router, backend);
  return router;
}

export { ApiServer } from './server.js';
export type { ApiLog, ApiServerOptions, ListenOptions } from './server.js';
export type * from './backend.js';
export { API_VERSION, MIN_API_VERSION } from './router.js';
export { HTTP_STATUS } from './errors.js';
export { checkShape } from './schema/check.js';
