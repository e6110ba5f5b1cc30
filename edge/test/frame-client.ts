/**
 * The frame-level test client (test/helpers/frame-client.ts) connected through the Worker's own
 * fetch, so the Room DO can be evicted between steps.
 */
import { exports } from 'cloudflare:workers';
import { FrameClient } from '../../test/helpers/frame-client.ts';

export { FrameClient, all, conditionOf, find, where } from '../../test/helpers/frame-client.ts';

export async function connect(room: string, path = `/xmpp-websocket?room=${room}`): Promise<FrameClient> {
  const res = await (exports as { default: Fetcher }).default.fetch(`http://edge.test${path}`, {
    headers: { Upgrade: 'websocket', 'Sec-WebSocket-Protocol': 'xmpp' },
  });
  if (!res.webSocket) throw new Error(`no websocket: ${res.status}`);
  res.webSocket.accept();
  return new FrameClient(res.webSocket);
}
