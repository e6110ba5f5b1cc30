/**
 * One UDP socket for every endpoint (JVB's single port, 10000 by default). Datagrams are told
 * apart by their first byte (RFC 7983: 0–3 STUN, 20–63 DTLS, 128–191 RTP/RTCP) and routed by
 * source address. An address belongs to an endpoint once it sent a binding request that verified
 * with that endpoint's ICE password; before that only such requests are heard. Garbage is dropped
 * and counted, never thrown.
 * @module
 */
import { createSocket, type Socket } from 'node:dgram';
import { Faults } from '../faults.ts';
import { createLogger } from '../log.ts';
import { bindingSuccess, peekUsername, verifyBindingRequest, type BindingRequest } from './stun-responder.ts';

export interface MuxEndpoint {
  readonly localUfrag: string;
  readonly localPwd: string;
  /** A verified binding request from `address`; the mux already answered it. */
  checked(request: BindingRequest, address: string, port: number): void;
  /** A DTLS or RTP/RTCP datagram from an address this endpoint owns. */
  datagram(data: Buffer, kind: 'dtls' | 'media'): void;
}

export interface MuxCounters {
  received: number;
  dropped: number;
  stunAnswered: number;
}

/** Output buffers for encrypted packets, reused round-robin: enough for any one packet's fan-out. */
const OUTPUT_RING = 4096;
const OUTPUT_BYTES = 1600;

export class UdpMux {
  readonly #socket: Socket;
  readonly #ring = Array.from({ length: OUTPUT_RING }, () => Buffer.allocUnsafe(OUTPUT_BYTES));
  #next = 0;
  readonly #byUfrag = new Map<string, MuxEndpoint>();
  readonly #byAddress = new Map<string, MuxEndpoint>();
  readonly counters: MuxCounters = { received: 0, dropped: 0, stunAnswered: 0 };
  readonly #faults: Faults;

  private constructor(socket: Socket, faults: Faults) {
    this.#socket = socket;
    this.#faults = faults;
    // The datagram path's error boundary: whatever an endpoint throws is reported, the socket carries on.
    socket.on('message', (data, rinfo) => {
      try {
        this.#receive(data, rinfo.address, rinfo.port);
      } catch (err) {
        this.#faults.report('udp', err, { from: `${rinfo.address}:${rinfo.port}`, firstByte: data[0] });
      }
    });
    socket.on('error', (err) => this.#faults.report('udp', err));
  }

  /** Binds the socket (port 0: any free port); `faults` hears of handlers that throw. */
  static async bind(host: string, port: number, faults = new Faults(createLogger('warn', { ns: 'udp-mux' }))): Promise<UdpMux> {
    const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => { socket.off('error', reject); resolve(); });
    });
    return new UdpMux(socket, faults);
  }

  get address(): { host: string; port: number } {
    const a = this.#socket.address();
    return { host: a.address, port: a.port };
  }

  add(endpoint: MuxEndpoint): void {
    this.#byUfrag.set(endpoint.localUfrag, endpoint);
  }

  remove(endpoint: MuxEndpoint): void {
    this.#byUfrag.delete(endpoint.localUfrag);
    for (const [addr, ep] of this.#byAddress) if (ep === endpoint) this.#byAddress.delete(addr);
  }

  send(data: Buffer | Uint8Array, host: string, port: number): void {
    this.#socket.send(data, port, host);
  }

  /**
   * A buffer to encrypt a packet of up to `bytes` into and pass to {@link sendBuffer}; from the ring,
   * so nothing is allocated. Node sends a datagram on the next tick, or later if the socket backs up:
   * a ring slot comes round again only after OUTPUT_RING more sends, far more than one packet fans
   * out to, and when the socket's own queue grows to half the ring fresh buffers are used instead.
   */
  outputBuffer(bytes: number): Buffer {
    if (bytes > OUTPUT_BYTES || this.#socket.getSendQueueCount() >= OUTPUT_RING / 2) return Buffer.allocUnsafe(bytes);
    const buffer = this.#ring[this.#next]!;
    this.#next = (this.#next + 1) % OUTPUT_RING;
    return buffer;
  }

  sendBuffer(buffer: Buffer, length: number, host: string, port: number): void {
    this.#socket.send(buffer, 0, length, port, host);
  }

  #receive(data: Buffer, host: string, port: number): void {
    this.counters.received += 1;
    const first = data[0];
    if (first === undefined) return this.#drop();
    const key = `${host}:${port}`;
    if (first <= 3) {
      const username = peekUsername(data);
      const endpoint = username ? this.#byUfrag.get(username.slice(0, username.indexOf(':'))) : undefined;
      const request = endpoint ? verifyBindingRequest(data, endpoint.localPwd) : undefined;
      if (!endpoint || !request) return this.#drop();
      this.#byAddress.set(key, endpoint);
      this.#socket.send(bindingSuccess(request, host, port, endpoint.localPwd), port, host);
      this.counters.stunAnswered += 1;
      endpoint.checked(request, host, port);
      return;
    }
    const endpoint = this.#byAddress.get(key);
    if (!endpoint) return this.#drop();
    if (first >= 20 && first <= 63) endpoint.datagram(data, 'dtls');
    else if (first >= 128 && first <= 191) endpoint.datagram(data, 'media');
    else this.#drop();
  }

  #drop(): void {
    this.counters.dropped += 1;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}
