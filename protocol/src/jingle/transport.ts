/**
 * `<transport xmlns="urn:xmpp:jingle:transports:ice-udp:1"/>` (XEP-0176) with DTLS fingerprints
 * (XEP-0320), rtcp-mux, Jitsi's colibri `web-socket` and the SCTP map.
 * @module
 */
import { xml, type Element } from '../xml/element.ts';
import { NS_COLIBRI, NS_JINGLE_DTLS, NS_JINGLE_ICE_UDP, NS_JINGLE_SCTP } from '../xml/namespaces.ts';
import { children, optBool, optInt, optStr, reqInt, reqStr } from './attrs.ts';
import {
  TRANSPORT_LIMITS, checkCandidateValues, checkCount, checkFingerprintHash, checkFingerprintValue, checkIceCredential, checkSetup, checkWebSocketUrl,
} from './transport-values.ts';
import type { IceCandidate, IceUdpTransport } from './types.ts';

function parseCandidate(el: Element): IceCandidate {
  const c: IceCandidate = {
    foundation: reqStr(el, 'foundation'), component: reqInt(el, 'component', 1, 256), protocol: reqStr(el, 'protocol').toLowerCase(),
    priority: reqInt(el, 'priority'), ip: reqStr(el, 'ip'), port: reqInt(el, 'port', 0, 65535), type: reqStr(el, 'type'),
    generation: optInt(el, 'generation') ?? 0,
  };
  const network = optInt(el, 'network');
  if (network !== undefined) c.network = network;
  const id = optStr(el, 'id');
  if (id !== undefined) c.id = id;
  const relAddr = optStr(el, 'rel-addr');
  if (relAddr !== undefined) c.relAddr = relAddr;
  const relPort = optInt(el, 'rel-port', 0, 65535);
  if (relPort !== undefined) c.relPort = relPort;
  const tcptype = optStr(el, 'tcptype');
  if (tcptype !== undefined) c.tcptype = tcptype;
  checkCandidateValues(c);
  return c;
}

function buildCandidate(c: IceCandidate): Element {
  return xml('candidate', {
    component: c.component, foundation: c.foundation, generation: c.generation, id: c.id, network: c.network, priority: c.priority,
    protocol: c.protocol, type: c.type, ip: c.ip, port: c.port, 'rel-addr': c.relAddr, 'rel-port': c.relPort, tcptype: c.tcptype,
  });
}

/**
 * Reads a transport, refusing (AppError bad-request) values no ICE/DTLS stack could use: unknown
 * fingerprint hashes, fingerprints that are not the hash's length in hex pairs, unknown setup
 * roles, ufrag/pwd outside RFC 8839's lengths and characters, and more candidates, fingerprints or
 * web-socket URLs than {@link TRANSPORT_LIMITS}.
 */
export function parseIceUdpTransport(el: Element): IceUdpTransport {
  const fingerprintEls = children(el, 'fingerprint');
  const candidateEls = children(el, 'candidate');
  const webSocketEls = children(el, 'web-socket');
  checkCount('fingerprints', fingerprintEls.length, TRANSPORT_LIMITS.maxFingerprints);
  checkCount('candidates', candidateEls.length, TRANSPORT_LIMITS.maxCandidates);
  checkCount('web-socket URLs', webSocketEls.length, TRANSPORT_LIMITS.maxWebSockets);
  const t: IceUdpTransport = {
    fingerprints: fingerprintEls.map((f) => {
      const hash = checkFingerprintHash(reqStr(f, 'hash'));
      const fp: IceUdpTransport['fingerprints'][number] = { hash, value: checkFingerprintValue(hash, f.text().trim()) };
      const setup = optStr(f, 'setup');
      if (setup !== undefined) fp.setup = checkSetup(setup);
      const required = optBool(f, 'required');
      if (required !== undefined) fp.required = required;
      const cryptex = optBool(f, 'cryptex');
      if (cryptex !== undefined) fp.cryptex = cryptex;
      return fp;
    }),
    candidates: candidateEls.map(parseCandidate),
    rtcpMux: children(el, 'rtcp-mux').length > 0,
    webSocketUrls: webSocketEls.map((w) => checkWebSocketUrl(reqStr(w, 'url'))),
  };
  const ufrag = optStr(el, 'ufrag');
  if (ufrag !== undefined) t.ufrag = checkIceCredential('ufrag', ufrag);
  const pwd = optStr(el, 'pwd');
  if (pwd !== undefined) t.pwd = checkIceCredential('pwd', pwd);
  const generation = optInt(el, 'ice-generation');
  if (generation !== undefined) t.iceGeneration = generation;
  const sctp = children(el, 'sctpmap')[0];
  if (sctp) t.sctp = { port: reqInt(sctp, 'number', 0, 65535), protocol: optStr(sctp, 'protocol') ?? 'webrtc-datachannel', streams: optInt(sctp, 'streams') ?? 1024 };
  return t;
}

export function buildIceUdpTransport(t: IceUdpTransport): Element {
  return xml('transport', { xmlns: NS_JINGLE_ICE_UDP, ufrag: t.ufrag, pwd: t.pwd, 'ice-generation': t.iceGeneration },
    t.rtcpMux ? xml('rtcp-mux') : null,
    ...t.fingerprints.map((f) => xml('fingerprint', { xmlns: NS_JINGLE_DTLS, hash: f.hash, setup: f.setup, required: f.required, cryptex: f.cryptex }, f.value)),
    ...t.candidates.map(buildCandidate),
    ...t.webSocketUrls.map((url) => xml('web-socket', { xmlns: NS_COLIBRI, url })),
    t.sctp ? xml('sctpmap', { xmlns: NS_JINGLE_SCTP, number: t.sctp.port, protocol: t.sctp.protocol, streams: t.sctp.streams }) : null);
}
