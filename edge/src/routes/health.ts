/**
 * `GET /about/health`: liveness of the edge Worker (Jitsi serves the same path for Jicofo/JVB).
 * @module
 */
import { Hono } from 'hono';
import type { AppBindings } from '../app-types.ts';

export const health = new Hono<AppBindings>().get('/about/health', (c) =>
  c.json({ status: 'ok', service: 'edgemeet-edge', domain: c.var.config.domain }));
