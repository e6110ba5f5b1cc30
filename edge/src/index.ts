/**
 * Entry point of the edge Worker: the HTTP app and the Durable Object classes.
 * @module
 */
import { app } from './app.ts';

export { RegistryDurableObject } from './registry/registry-do.ts';
export { RoomDurableObject } from './room/room-do.ts';
export default app;
