/**
 * One endpoint's media transport, as JVB builds it from Colibri2 and not from SDP: ICE-lite on the
 * shared UDP port ({@link UdpMux}), DTLS as server (the client answers `setup:active`), SRTP keys
 * from the DTLS exporter (RFC 5764), rtcp-mux and BUNDLE. It exposes its local ICE/DTLS parameters
 * for the Colibri2 answer and hands decrypted RTP/RTCP to the router. With AES_CM_128_HMAC_SHA1_80
 * (preferred) RTP goes through our allocation-free SRTP ({@link SrtpCmContext}: decrypted in place,
 * encrypted into the mux's output ring); with AEAD_AES_128_GCM, and for RTCP, through werift's.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  DtlsServer, Event, ProtectionProfileAeadAes128Gcm, ProtectionProfileAes128CmHmacSha1_80, RtpHeader, SrtcpSession, SrtpSession,
  isRtcp, keyLength, saltLength, type Transport,
} from 'werift';
import { realClock, type Clock } from '../clock.ts';
import { Faults } from '../faults.ts';
import { createLogger } from '../log.ts';
import type { DtlsIdentity } from './certificate.ts';
import { SrtpCmContext, TAG_BYTES } from './srtp-cm.ts';
import { nominationRequest, type BindingRequest } from './stun-responder.ts';
import type { MuxEndpoint, UdpMux } from './udp-mux.ts';

/** RTP packets held while the DTLS peer waits for its fingerprint (about a second of a browser's media). */
const MAX_HELD = 512;
const ICE_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/';

function iceString(length: number): string {
  return [...randomBytes(length)].map((b) => ICE_CHARS[b % ICE_CHARS.length]).join('');
}

/** RFC 8122 hash names → node:crypto's: every hash protocol's FINGERPRINT_HASHES admits. */
export const FINGERPRINT_DIGESTS: Readonly<Record<string, string>> = Object.freeze({
  'sha-1': 'sha1', 'sha-224': 'sha224', 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512',
});

function normalizeFingerprint(value: string): string {
  return value.replaceAll(':', '').toLowerCase();
}

export interface LocalTransportParameters {
  ufrag: string;
  pwd: string;
  fingerprint: { hash: 'sha-256'; value: string; setup: 'actpass' };
  candidates: Array<{ foundation: string; component: 1; protocol: 'udp'; priority: number; ip: string; port: number; type: 'host'; generation: 0; id: string }>;
}

export type TransportState = 'new' | 'checking' | 'connected' | 'failed' | 'closed';

export class EndpointTransport implements MuxEndpoint {
  readonly localUfrag = iceString(8);
  readonly localPwd = iceString(24);
  readonly onConnected = new Event<[]>();
  /** Where decrypted RTP and RTCP go (plain callbacks: an Event would allocate per packet). The RTP buffer is only valid during the call. */
  onRtp: (rtp: Buffer) => void = () => undefined;
  onRtcp: (rtcp: Buffer) => void = () => undefined;
  /**
   * Authenticated RTP from a peer whose fingerprint is not verified yet: only its arrival may be
   * noted (transport-cc, so that a browser's first packets — its bandwidth probes — are reported
   * while the fingerprint travels); onRtp gets it once verified.
   */
  onEarlyRtp: (rtp: Buffer) => void = () => undefined;
  readonly onStateChange = new Event<[TransportState]>();
  #state: TransportState = 'new';
  /** Why the transport failed, for logs. */
  failureReason: string | null = null;
  #remote: { host: string; port: number } | null = null;
  #remoteFingerprint: string | null = null;
  /** node:crypto's name of the hash the remote fingerprint uses. */
  #remoteDigest = 'sha256';
  /** A handshake that finished before the client's fingerprint arrived (see setRemoteFingerprint). */
  #unverified: DtlsServer | null = null;
  /**
   * RTP that arrived (and authenticated) while the handshake waited for the fingerprint, decrypted,
   * with arrival times: handed on once verified, dropped if not. Bounded.
   */
  #held: Array<{ rtp: Buffer; at: number }> = [];
  /** When the datagram being handed to onRtp/onRtcp arrived (clock ms). */
  arrivalMs = 0;
  #remoteIce: { ufrag: string; pwd: string } | null = null;
  #nominations = 0;
  readonly #tieBreaker = randomBytes(8).readBigUInt64BE(0);
  #dtls: DtlsServer | null = null;
  /** The client has started DTLS: its ICE is done with us, no more nominations needed. */
  #dtlsSeen = false;
  #dtlsInput: ((data: Buffer) => void) | null = null;
  #srtp: SrtpSession | null = null;
  #srtcp: SrtcpSession | null = null;
  /** Our own SRTP for RTP, both directions, when the profile is AES-CM. */
  #cmIn: SrtpCmContext | null = null;
  #cmOut: SrtpCmContext | null = null;
  readonly #mux: UdpMux;
  readonly #identity: DtlsIdentity;
  readonly #publicIp: string;
  readonly #faults: Faults;
  readonly #clock: Clock;

  readonly #profiles: ReadonlyArray<typeof ProtectionProfileAes128CmHmacSha1_80 | typeof ProtectionProfileAeadAes128Gcm>;

  /** `srtpProfiles`: ours in order of preference (default AES-CM, then AES-GCM); the first the client also offers is used. */
  /** `faults`: where a throwing onRtp/onRtcp/onEarlyRtp is reported (and refused SRTP counted). `clock`: arrival times (the real one by default). */
  constructor(options: { mux: UdpMux; identity: DtlsIdentity; publicIp?: string; srtpProfiles?: ReadonlyArray<'AES_CM_128_HMAC_SHA1_80' | 'AEAD_AES_128_GCM'>; faults?: Faults; clock?: Clock }) {
    this.#profiles = (options.srtpProfiles ?? ['AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_128_GCM'])
      .map((p) => (p === 'AEAD_AES_128_GCM' ? ProtectionProfileAeadAes128Gcm : ProtectionProfileAes128CmHmacSha1_80));
    this.#mux = options.mux;
    this.#identity = options.identity;
    this.#publicIp = options.publicIp ?? options.mux.address.host;
    this.#faults = options.faults ?? new Faults(createLogger('warn', { ns: 'endpoint-transport' }));
    this.#clock = options.clock ?? realClock;
    this.#mux.add(this);
  }

  get state(): TransportState {
    return this.#state;
  }

  #setState(state: TransportState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.onStateChange.execute(state);
  }

  localParameters(): LocalTransportParameters {
    return {
      ufrag: this.localUfrag, pwd: this.localPwd,
      fingerprint: { hash: 'sha-256', value: this.#identity.fingerprint, setup: 'actpass' },
      candidates: [{
        foundation: '1', component: 1, protocol: 'udp', priority: 2130706431, ip: this.#publicIp, port: this.#mux.address.port,
        type: 'host', generation: 0, id: `${this.localUfrag}-1`,
      }],
    };
  }

  /**
   * The client's DTLS fingerprint (from its session-accept, via Colibri2); checked after the
   * handshake, whichever comes first. Throws TypeError for a hash that is not one of
   * {@link FINGERPRINT_DIGESTS} (Colibri2 input is validated before it gets here).
   */
  setRemoteFingerprint(hash: string, value: string): void {
    const name = hash.toLowerCase();
    if (!Object.hasOwn(FINGERPRINT_DIGESTS, name)) throw new TypeError(`unsupported fingerprint hash ${hash.slice(0, 20)}`);
    this.#remoteDigest = FINGERPRINT_DIGESTS[name]!;
    this.#remoteFingerprint = normalizeFingerprint(value);
    const pending = this.#unverified;
    if (pending) this.#verify(pending);
  }

  /**
   * The client's ICE credentials, to send our own (nominating) checks. They travel session-accept →
   * focus → Colibri2 and often arrive after the client's checks: a client that takes the
   * controlled role then waits for our nomination and may have no check left to prompt it, so
   * the nomination goes out now (and twice more shortly after, for a lost datagram).
   */
  setRemoteIce(ufrag: string, pwd: string): void {
    this.#remoteIce = { ufrag, pwd };
    const nominateLate = (attempt: number) => {
      if (this.#state !== 'checking' || !this.#remote || this.#dtlsSeen) return;
      this.#nominate(this.#remote.host, this.#remote.port);
      if (attempt < 2) setTimeout(() => nominateLate(attempt + 1), 200 * 2 ** attempt).unref();
    };
    nominateLate(0);
  }

  /** Sends a nominating check (USE-CANDIDATE, controlling) to the client at host:port, at most ten in all. */
  #nominate(host: string, port: number): void {
    if (!this.#remoteIce || this.#state === 'connected' || this.#nominations >= 10) return;
    this.#nominations += 1;
    this.#mux.send(nominationRequest({
      localUfrag: this.localUfrag, remoteUfrag: this.#remoteIce.ufrag, remotePwd: this.#remoteIce.pwd, tieBreaker: this.#tieBreaker,
    }), host, port);
  }

  // MuxEndpoint

  checked(request: BindingRequest, host: string, port: number): void {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    if (!this.#remote || request.useCandidate) this.#remote = { host, port };
    if (request.remoteUfrag === this.#remoteIce?.ufrag) this.#nominate(host, port);
    if (this.#state === 'new') this.#setState('checking');
    if (!this.#dtls) this.#startDtls();
  }

  datagram(data: Buffer, kind: 'dtls' | 'media'): void {
    if (kind === 'dtls') {
      this.#dtlsSeen = true;
      this.#dtlsInput?.(data);
      return;
    }
    if (!this.#srtcp) return;
    this.arrivalMs = this.#clock.now();
    // Only SRTP's own failures (unauthenticated or malformed: RFC 3711 §3.3, discard) are dropped
    // quietly, and counted; an exception past decryption is a routing bug and is reported.
    if (isRtcp(data)) {
      if (this.#unverified) return;
      let rtcp: Buffer;
      try {
        rtcp = this.#srtcp.decrypt(data);
      } catch {
        this.#faults.reject('srtcp');
        return;
      }
      this.#deliver(this.onRtcp, rtcp);
      return;
    }
    let rtp: Buffer | null = null;
    try {
      if (this.#cmIn) {
        const length = this.#cmIn.unprotect(data);
        if (length > 0) rtp = data.subarray(0, length);
      } else if (this.#srtp) rtp = this.#srtp.decrypt(data);
    } catch {
      rtp = null;
    }
    if (!rtp) {
      this.#faults.reject('srtp');
      return;
    }
    if (!this.#unverified) {
      this.#deliver(this.onRtp, rtp);
      return;
    }
    this.#deliver(this.onEarlyRtp, rtp);
    if (this.#held.length < MAX_HELD) this.#held.push({ rtp, at: this.arrivalMs });
  }

  /** Hands a decrypted packet to the router; what the router throws is reported, not taken for bad SRTP. */
  #deliver(to: (packet: Buffer) => void, packet: Buffer): void {
    try {
      to(packet);
    } catch (err) {
      this.#faults.report('routing', err, { ufrag: this.localUfrag });
    }
  }

  #startDtls(): void {
    const transport: Transport = {
      type: 'udp',
      address: {} as Transport['address'],
      closed: false,
      onData: () => undefined,
      send: async (data: Buffer) => {
        if (this.#remote) this.#mux.send(data, this.#remote.host, this.#remote.port);
      },
      close: async () => undefined,
    };
    const dtls = new DtlsServer({
      cert: this.#identity.certPem, key: this.#identity.keyPem, signatureHash: this.#identity.signatureHash, transport,
      // AES-CM first by default: the one our allocation-free SRTP does.
      srtpProfiles: [...this.#profiles], extendedMasterSecret: true,
      certificateRequest: true,
    });
    this.#dtls = dtls;
    this.#dtlsInput = (data) => transport.onData(data, { address: this.#remote?.host ?? '', port: this.#remote?.port ?? 0 } as never);
    dtls.onConnect.once(() => this.#dtlsConnected(dtls));
    dtls.onError.once((err: Error) => this.#fail(`dtls error: ${err.message}`));
  }

  /**
   * The handshake is done: SRTP keys are installed at once. The browser may finish DTLS before its
   * fingerprint travels session-accept → focus → Colibri2 → here; until it arrives and matches, the
   * transport is not connected and its media is held (see onEarlyRtp).
   */
  #dtlsConnected(dtls: DtlsServer): void {
    if (!dtls.remoteCertificate) return this.#fail('no client certificate');
    const profile = dtls.srtp.srtpProfile;
    if (!profile) return this.#fail('no SRTP profile negotiated');
    const { localKey, localSalt, remoteKey, remoteSalt } = dtls.extractSessionKeys(keyLength(profile), saltLength(profile));
    const config = { keys: { localMasterKey: localKey, localMasterSalt: localSalt, remoteMasterKey: remoteKey, remoteMasterSalt: remoteSalt }, profile };
    if (profile === ProtectionProfileAes128CmHmacSha1_80) {
      this.#cmIn = new SrtpCmContext(remoteKey, remoteSalt);
      this.#cmOut = new SrtpCmContext(localKey, localSalt);
    } else {
      this.#srtp = new SrtpSession(config);
    }
    this.#srtcp = new SrtcpSession(config);
    this.#unverified = dtls;
    if (this.#remoteFingerprint) this.#verify(dtls);
  }

  #verify(dtls: DtlsServer): void {
    if (this.#certificateFingerprint(dtls.remoteCertificate!) !== this.#remoteFingerprint) return this.#fail('fingerprint mismatch');
    this.#unverified = null;
    this.#setState('connected');
    this.onConnected.execute();
    const held = this.#held;
    this.#held = [];
    for (const { rtp, at } of held) {
      this.arrivalMs = at;
      this.#deliver(this.onRtp, rtp);
    }
  }

  #certificateFingerprint(der: Buffer): string {
    // node:crypto is synchronous and cheap here: once per connection.
    return createHash(this.#remoteDigest).update(der).digest('hex');
  }

  #fail(reason: string): void {
    this.failureReason = reason;
    this.#held = [];
    this.#unverified = null;
    this.#srtp = null;
    this.#srtcp = null;
    this.#cmIn = null;
    this.#cmOut = null;
    this.#setState('failed');
    this.#dtls?.close();
  }

  /** Keys are in place (the handshake is done, the fingerprint perhaps not verified yet): RTCP can be sent. */
  get keyed(): boolean {
    return this.#srtcp !== null && this.#state !== 'failed' && this.#state !== 'closed';
  }

  /** The SRTP profile in use, once connected. */
  get srtpProfile(): 'AES_CM_128_HMAC_SHA1_80' | 'AEAD_AES_128_GCM' | null {
    if (this.#cmOut) return 'AES_CM_128_HMAC_SHA1_80';
    return this.#srtp ? 'AEAD_AES_128_GCM' : null;
  }

  /** Encrypts and sends a plain RTP packet to the client. */
  sendRtp(packet: Buffer): void {
    if (!this.#remote || this.#unverified) return;
    if (this.#cmOut) {
      const out = this.#mux.outputBuffer(packet.length + TAG_BYTES);
      const length = this.#cmOut.protect(packet, out);
      if (length > 0) this.#mux.sendBuffer(out, length, this.#remote.host, this.#remote.port);
      return;
    }
    if (!this.#srtp) return;
    const header = RtpHeader.deSerialize(packet);
    this.#mux.send(this.#srtp.encrypt(packet.subarray(header.payloadOffset), header), this.#remote.host, this.#remote.port);
  }

  /** Encrypts and sends a plain (compound) RTCP packet to the client. */
  sendRtcp(packet: Buffer): void {
    if (!this.#srtcp || !this.#remote) return;
    this.#mux.send(this.#srtcp.encrypt(packet), this.#remote.host, this.#remote.port);
  }

  /** Safe to call twice. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#mux.remove(this);
    this.#dtls?.close();
    this.#dtls = null;
    this.#srtp = null;
    this.#srtcp = null;
    this.#cmIn = null;
    this.#cmOut = null;
    this.#unverified = null;
    this.#held = [];
    this.#setState('closed');
  }
}
