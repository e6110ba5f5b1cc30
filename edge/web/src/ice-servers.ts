/**
 * TURN servers for the peer connection with the media node, from the edge's XEP-0215 answer
 * (`<services xmlns="urn:xmpp:extdisco:2"/>`, as lib-jitsi-meet asks): each `turn`/`turns` service
 * with its short-lived credential. STUN is left out: the node announces its public address itself
 * (ICE-lite), so only a relay helps a browser that cannot reach it directly. TURN over UDP is kept
 * (lib-jitsi-meet keeps only TCP/TLS for the bridge unless `useTurnUdp`): a network may allow UDP to
 * the TURN server's port and not to the node's. The browser tries relays only after direct paths.
 * @module
 */
import { NS_EXTDISCO, buildIq, xml, type Element } from '@edgemeet/protocol';

export function iceServersOf(services: Element | undefined): RTCIceServer[] {
  if (!services) return [];
  const out: RTCIceServer[] = [];
  for (const s of services.getChildren('service')) {
    const { type, host, port, transport, username, password } = s.attrs as Record<string, string | undefined>;
    if ((type !== 'turn' && type !== 'turns') || !host || !username || !password) continue;
    const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    out.push({ urls: `${type}:${h}${port ? `:${port}` : ''}${transport && transport !== 'udp' ? `?transport=${transport}` : ''}`, username, credential: password });
  }
  return out;
}

/** Asks the XMPP domain for its external services; none (an empty list) if it cannot answer. */
export async function fetchIceServers(iq: (el: Element) => Promise<Element>, domain: string): Promise<RTCIceServer[]> {
  try {
    const res = await iq(buildIq('get', domain, undefined, xml('services', { xmlns: NS_EXTDISCO })));
    return iceServersOf(res.getChild('services', NS_EXTDISCO));
  } catch {
    return [];
  }
}
