/**
 * The media node's media plane in a process of its own, driven over IPC by bench/node-load.ts:
 * one UdpMux, real EndpointTransports (ICE-lite, DTLS, SRTP) and real SfuConferences, without the
 * XMPP control link (the load generator plays the focus). Reports its own CPU time and counters.
 */
import { Faults } from '../../media-node/src/faults.ts';
import { createLogger } from '../../media-node/src/log.ts';
import { SfuConference } from '../../media-node/src/sfu/conference.ts';
import type { SfuEndpoint } from '../../media-node/src/sfu/endpoint.ts';
import { createDtlsIdentity } from '../../media-node/src/transport/certificate.ts';
import { UdpMux } from '../../media-node/src/transport/udp-mux.ts';

const mux = await UdpMux.bind('127.0.0.1', 0);
const log = createLogger('warn', { ns: 'node-host' });
const ctx = { mux, identity: await createDtlsIdentity(), publicIp: '127.0.0.1', log, faults: new Faults(log) };
const conferences = new Map<string, SfuConference>();
const endpoint = (conf: string, ep: string) => conferences.get(conf)?.endpoint(ep) as SfuEndpoint;

type Command =
  | { id: number; cmd: 'endpoint'; conf: string; ep: string }
  | { id: number; cmd: 'remote'; conf: string; ep: string; fingerprint: string; ssrc?: number }
  | { id: number; cmd: 'states' }
  | { id: number; cmd: 'stats' };

process.on('message', (m: Command) => {
  const reply = (body: object) => process.send!({ id: m.id, ...body });
  switch (m.cmd) {
    case 'endpoint': {
      let c = conferences.get(m.conf);
      if (!c) conferences.set(m.conf, c = new SfuConference(m.conf, undefined, ctx));
      const p = (c.createEndpoint(m.ep) as SfuEndpoint).transport.localParameters();
      return reply({ ufrag: p.ufrag, pwd: p.pwd });
    }
    case 'remote': {
      const ep = endpoint(m.conf, m.ep);
      ep.transport.setRemoteFingerprint('sha-256', m.fingerprint);
      if (m.ssrc !== undefined) ep.setSources([{ type: 'video', id: `${m.ep}-v0`, sources: [{ ssrc: m.ssrc }], groups: [] }]);
      return reply({});
    }
    case 'states': {
      const states: Record<string, number> = {};
      for (const c of conferences.values()) for (const ep of c.endpoints()) states[ep.transport.state] = (states[ep.transport.state] ?? 0) + 1;
      return reply({ states });
    }
    case 'stats': {
      let forwarded = 0;
      for (const c of conferences.values()) forwarded += c.forwardedPackets;
      return reply({ cpu: process.cpuUsage(), forwarded, received: mux.counters.received, rss: process.memoryUsage().rss });
    }
  }
});
process.send!({ ready: true, port: mux.address.port });
