/**
 * The focus tests' media nodes: a bridge directory of scripted bridges that answer Colibri2 as JVB
 * does (endpoints with an ICE transport and a colibri-ws URL, feedback sources on create, a
 * conflict for an endpoint created twice), can be taken down, shut down, made silent (`refusing`) or held (`gate`), and
 * record every request. Test code only.
 * @module
 */
// Internal: not exported from the package entry.
import { parseXml, type BridgeCandidate, type Element } from '@edgemeet/protocol';

export function candidate(id: string, extra: Partial<BridgeCandidate> = {}): BridgeCandidate {
  return {
    id, region: '', stressLevel: 0.1, averageParticipantStress: 0.01, healthy: true, drain: false, gracefulShutdown: false,
    shuttingDown: false, version: '1', connected: true, ...extra,
  };
}

/** Scripted media nodes answering Colibri2 like JVB (jitsi-wire-protocol §5.1). */
export function scriptedBridges(ids: string[]) {
  const requests: Array<{ bridge: string; payload: Element }> = [];
  const down = new Set<string>();
  /** Bridges announcing shutting_down (their drain timed out). */
  const shutting = new Set<string>();
  /** Bridges listed as fine that never answer (the Registry has not noticed yet). */
  const refusing = new Set<string>();
  const live = new Set<string>();
  /** While set, requests wait for it (an allocation in flight). */
  const gate: { wait: Promise<void> | null } = { wait: null };
  const conflicts = { count: 0 };
  return {
    get conflicts() { return conflicts.count; },
    requests,
    down,
    shutting,
    refusing,
    gate,
    live,
    directory: {
      list: async () => ids.map((id) => candidate(id, { connected: !down.has(id), shuttingDown: shutting.has(id) })),
      async request(bridge: string, payload: Element) {
        requests.push({ bridge, payload });
        if (gate.wait) await gate.wait;
        if (refusing.has(bridge)) throw new Error('no answer');
        if (down.has(bridge)) throw new Error('gone');
        for (const e of payload.getChildren('endpoint')) {
          const key = `${bridge}/${e.attrs.id}`;
          if (e.attrs.expire === 'true') live.delete(key);
          else if (e.attrs.create === 'true') {
            // Like a real bridge: creating an endpoint that exists is a conflict.
            if (live.has(key)) {
              conflicts.count += 1;
              return parseXml(`<iq type="error"><error type="cancel"><conflict xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`);
            }
            live.add(key);
          }
        }
        const endpoints = payload.getChildren('endpoint').filter((e) => e.attrs.create === 'true').map((e) => `
          <endpoint id="${e.attrs.id}"><transport><transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="uf${bridge}" pwd="pw${bridge}0123456789abcdefghij">
            <fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="sha-256" setup="actpass">AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB</fingerprint>
            <candidate component="1" foundation="1" generation="0" id="c1" network="0" priority="2130706431" protocol="udp" type="host" ip="127.0.0.1" port="10000"/>
            <rtcp-mux/><web-socket xmlns="http://jitsi.org/protocol/colibri" url="ws://127.0.0.1:9090/colibri-ws/${bridge}/c/${e.attrs.id}?pwd=x"/>
          </transport></transport></endpoint>`).join('');
        const feedback = payload.attrs.create === 'true'
          ? `<sources><media-source type="audio" id="jvb-a0"><source xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" ssrc="424242" name="jvb-a0"/></media-source>
             <media-source type="video" id="jvb-v0"><source xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" ssrc="434343" name="jvb-v0"/></media-source></sources>`
          : '';
        return parseXml(`<iq type="result"><conference-modified xmlns="jitsi:colibri2">${endpoints}${feedback}</conference-modified></iq>`
          .replace(/>\s+</g, '><'));
      },
    },
  };
}
