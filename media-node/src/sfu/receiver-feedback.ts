/**
 * Feedback a receiver sends about a media SSRC of another endpoint (RFC 4585: PLI, FIR, generic
 * NACK), on its way to the sender. A NACK about a video source is answered from the node's
 * packet cache of the layer the receiver gets, with the packets as that receiver knows them;
 * only what the cache lacks goes on. What goes on is about the signalled SSRC, so it is mapped to
 * the layer the receiver actually gets (media SSRC, and a NACK's sequence numbers), in place.
 * @module
 */
import type { Clock } from '../clock.ts';
import type { SfuEndpoint } from './endpoint.ts';
import { nackedSequences } from './packet-cache.ts';
import { RTCP_RTPFB } from './rtp.ts';
import type { LayerRef } from './simulcast.ts';

export class ReceiverFeedback {
  readonly #clock: Clock;
  /** Where a retransmission is put together before it is encrypted (sendRtp is synchronous). */
  readonly #scratch = Buffer.alloc(1500);
  /** NACKed packets the node sent again from its cache, and NACKs it had to pass to the sender. */
  retransmitted = 0;
  nacksForwarded = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** One RTPFB/PSFB packet from `from` about an SSRC that `sender` sends (`ref`: its place in a video source). */
  toSender(from: SfuEndpoint, sender: SfuEndpoint, ref: LayerRef | undefined, packet: Buffer): void {
    const isNack = packet[1] === RTCP_RTPFB && (packet[0]! & 0x1f) === 1;
    if (isNack && this.#answerNack(from, ref, packet)) {
      // Every packet asked for was sent again from the cache: the sender need not hear of it.
    } else if (sender.connected && this.#toSenderLayer(from, ref, packet)) {
      if (isNack) this.nacksForwarded++;
      sender.transport.sendRtcp(packet);
    }
  }

  /** True when every packet the NACK asks for was in the cache of the layer `from` gets, and has been sent again. */
  #answerNack(from: SfuEndpoint, ref: LayerRef | undefined, nack: Buffer): boolean {
    if (!ref || ref.layer !== 0 || ref.rtx || !from.connected) return false;
    const fw = from.forwarderOf(ref.source);
    if (!fw || fw.currentEncoding < 0) return false;
    const cache = ref.source.cache(fw.currentEncoding);
    const now = this.#clock.now();
    let all = true;
    for (const seq of nackedSequences(nack)) {
      const original = fw.originalSeq(seq);
      const kept = original < 0 ? undefined : cache.get(original, now);
      const again = kept && fw.retransmission(kept, this.#scratch);
      if (!again) {
        all = false;
        continue;
      }
      // With SSRC rewriting, the packet goes on the receiver's slot as the original did.
      if (from.rewriting && !from.rewriting.video.rewriteRtp(again, ref.source.rewritable)) {
        all = false;
        continue;
      }
      from.transport.sendRtp(again);
      this.retransmitted++;
    }
    return all;
  }

  /** Maps the packet to the layer `from` gets; false when there is nothing to map to (no layer forwarded yet). */
  #toSenderLayer(from: SfuEndpoint, ref: LayerRef | undefined, packet: Buffer): boolean {
    if (!ref || ref.layer !== 0 || ref.rtx) return true;
    const fw = from.forwarderOf(ref.source);
    const ssrc = fw?.currentSsrc;
    if (!fw || ssrc === undefined) return false;
    packet.writeUInt32BE(ssrc >>> 0, 8);
    const fmt = packet[0]! & 0x1f;
    if (packet[1] === RTCP_RTPFB && fmt === 1) {
      for (let i = 12; i + 4 <= packet.length; i += 4) {
        const original = fw.originalSeq(packet.readUInt16BE(i));
        if (original >= 0) packet.writeUInt16BE(original, i);
      }
    }
    return true;
  }
}
