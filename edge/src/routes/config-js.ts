/**
 * `GET /config.js`: the `config` object the Jitsi web client and lib-jitsi-meet read
 * (jitsi-wire-protocol §2.1): XMPP hosts, the focus address and the WebSocket service URL.
 * @module
 */
import { Hono } from 'hono';
import type { AppBindings } from '../app-types.ts';
import type { EdgeConfig } from '../config.ts';
import { userRegionOf } from '../user-regions.ts';

/** The client configuration for a request arriving at `origin` (with Cloudflare's `cf` properties, when there). */
export function clientConfig(config: EdgeConfig, requestUrl: URL, cf?: { country?: unknown; continent?: unknown }) {
  const userRegion = userRegionOf(config.userRegions, cf);
  const ws = config.websocketUrl ?? `${requestUrl.protocol === 'https:' ? 'wss' : 'ws'}://${requestUrl.host}/xmpp-websocket`;
  const origin = config.login?.publicUrl?.origin ?? requestUrl.origin;
  return {
    hosts: {
      domain: config.domain, muc: config.mucDomain, focus: config.focusDomain,
      // Secure domain with guests: jitsi-meet logs in here without a token (lib-jitsi-meet's XMPP.connect).
      ...(config.auth.guestDomain ? { anonymousdomain: config.auth.guestDomain } : {}),
    },
    // jitsi-meet sends users who must log in here (its {room}, {state} and {code_challenge} placeholders).
    ...(config.login ? { tokenAuthUrl: `${origin}/oidc/auth?room={room}&state={state}&code_challenge={code_challenge}` } : {}),
    // Occupants whose real JID is here (recorders) are hidden: jitsi-meet shows no tile and counts no participant,
    // and lib-jitsi-meet takes a recording's "on" from such an occupant's presence.
    hiddenDomain: config.hiddenDomain,
    websocket: ws,
    serviceUrl: ws,
    enableWebsocketResume: true,
    websocketKeepAlive: 60_000,
    p2p: { enabled: true, stunServers: [] as string[] },
    // jitsi-meet's deploymentInfo: lib-jitsi-meet announces userRegion as jitsi_participant_region.
    deploymentInfo: { region: config.region, ...(userRegion ? { userRegion } : {}) },
    resolution: 480,
  };
}

export const configJs = new Hono<AppBindings>().get('/config.js', (c) => {
  const body = `var config = ${JSON.stringify(clientConfig(c.var.config, new URL(c.req.url), c.req.raw.cf as { country?: unknown; continent?: unknown } | undefined), null, 2)};\n`;
  return c.body(body, 200, { 'content-type': 'application/javascript; charset=utf-8', 'cache-control': 'no-store' });
});
