/**
 * `/xmpp-websocket?room=NAME`: XMPP over WebSocket (RFC 7395), handed to the room's Durable
 * Object. A plain GET (lib-jitsi-meet's HTTP keep-alive, jitsi-wire-protocol §1.6) gets 200.
 * @module
 */
import { AppError, JidError, jid } from '@edgemeet/protocol';
import { Hono } from 'hono';
import type { AppBindings } from '../app-types.ts';
import { ROOM_HEADER } from '../room/room-do.ts';

const MAX_ROOM_NAME = 256;

/** Validates the room name the way a MUC room JID's local part must be (RFC 7622). */
export function roomNameFrom(url: URL, mucDomain: string): string {
  const raw = url.searchParams.get('room');
  if (raw === null || raw === '') throw new AppError('bad-request', 'the room query parameter is required');
  const room = raw.toLowerCase();
  if (room.length > MAX_ROOM_NAME) throw new AppError('bad-request', `room names are at most ${MAX_ROOM_NAME} characters`);
  try {
    jid(room, mucDomain);
  } catch (err) {
    if (err instanceof JidError) throw new AppError('bad-request', `invalid room name: ${err.message}`);
    throw err;
  }
  return room;
}

export const xmppWebsocket = new Hono<AppBindings>().get('/xmpp-websocket', async (c) => {
  const url = new URL(c.req.url);
  const room = roomNameFrom(url, c.var.config.mucDomain);
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return c.text('ok');
  const stub = c.env.ROOM.get(c.env.ROOM.idFromName(room));
  const headers = new Headers(c.req.raw.headers);
  headers.set(ROOM_HEADER, room);
  return stub.fetch(new Request(c.req.raw.url, { headers }));
});
