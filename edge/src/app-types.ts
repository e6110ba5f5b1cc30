/**
 * Hono bindings shared by the edge's routes.
 * @module
 */
import type { EdgeConfig } from './config.ts';
import type { Logger } from './log.ts';

export interface AppBindings {
  Bindings: Env;
  Variables: { config: EdgeConfig; log: Logger };
}
