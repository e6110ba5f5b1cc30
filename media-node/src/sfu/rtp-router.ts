/**
 * A conference's packet routing (JVB's RTP/RTCP handling in its Conference): which SSRC belongs to
 * whom (only sources announced through Colibri2 are forwarded), RTP to every other connected
 * endpoint (audio as is, video through each receiver's {@link VideoForwarder}), sender reports on
 * to the receivers of that stream, and receivers' RTCP feedback back to the sender
 * (receiver-feedback.ts). Reception statistics and transport-cc arrivals are noted on the way;
 * header extensions are read by the ids the sender's Colibri2 media gave (header-extensions.ts).
 * @module
 */
import type { Clock } from '../clock.ts';
import { audioLevel } from './dominant-speaker.ts';
import type { SfuEndpoint } from './endpoint.ts';
import { ReceiverFeedback } from './receiver-feedback.ts';
import {
  RTCP_PSFB, RTCP_RTPFB, RTCP_SR, headerExtensionAt, payloadOffset, pli, rembBitrate, rewriteRtp, senderInfoReport, seqOf, ssrcOf, stripHeaderExtensions, timestampOf,
} from './rtp.ts';
import type { LayerRef, VideoSource } from './simulcast.ts';
import type { RewritableSource } from './ssrc-rewriting.ts';

/** Who sends an SSRC, and for video its place in a (simulcast) source. */
interface SsrcOwner {
  readonly endpoint: SfuEndpoint;
  readonly type: 'audio' | 'video';
  readonly ref?: LayerRef;
  /** An audio source, as receivers with SSRC rewriting learn it. */
  readonly audio?: RewritableSource;
}

export interface RtpRouterOptions {
  /** The conference's endpoints (a live view). */
  readonly endpoints: ReadonlyMap<string, SfuEndpoint>;
  readonly clock: Clock;
  /** An audio packet's level (RFC 6464) from a sender, for dominant speaker detection. */
  readonly onAudioLevel: (from: SfuEndpoint, level: number) => void;
  /** Fault injection (MEDIA_DROP_PERMILLE): forwarded video packets dropped per thousand. */
  readonly dropPermille?: number;
}

export class RtpRouter {
  readonly #endpoints: ReadonlyMap<string, SfuEndpoint>;
  readonly #clock: Clock;
  readonly #onAudioLevel: (from: SfuEndpoint, level: number) => void;
  readonly #dropPermille: number;
  #owners = new Map<number, SsrcOwner>();
  /** Receivers' PLI/FIR/NACK on their way to senders. */
  readonly feedback: ReceiverFeedback;
  forwardedPackets = 0;

  constructor(o: RtpRouterOptions) {
    this.#endpoints = o.endpoints;
    this.#clock = o.clock;
    this.#onAudioLevel = o.onAudioLevel;
    this.#dropPermille = o.dropPermille ?? 0;
    this.feedback = new ReceiverFeedback(o.clock);
  }

  /** Rebuilds the SSRC table from every endpoint's sources (after a change of sources or endpoints). */
  reindex(): void {
    const owners = new Map<number, SsrcOwner>();
    const live = new Set<VideoSource>();
    for (const ep of this.#endpoints.values()) {
      for (const ms of ep.sources) {
        for (const s of ms.sources) {
          const audio = ms.type === 'audio' ? { name: s.name ?? ms.id, owner: ep.id, ssrc: s.ssrc } : undefined;
          owners.set(s.ssrc, { endpoint: ep, type: ms.type, audio });
        }
      }
      for (const v of ep.rebuildVideoSources()) {
        live.add(v);
        for (const [ssrc, ref] of v.refs()) owners.set(ssrc, { endpoint: ep, type: 'video', ref });
      }
    }
    for (const ep of this.#endpoints.values()) ep.dropForwarders(live);
    for (const ep of this.#endpoints.values()) ep.dropReception((ssrc) => owners.get(ssrc)?.endpoint === ep);
    this.#owners = owners;
  }

  /** Whether an endpoint of the conference sends `ssrc` (slots of SSRC rewriting must not reuse it). */
  owns(ssrc: number): boolean {
    return this.#owners.has(ssrc);
  }

  /** Sends a PLI (RFC 4585 §6.3.1) for every video source of the others to their senders. */
  requestKeyframes(except: SfuEndpoint): void {
    for (const [ssrc, owner] of this.#owners) {
      if (owner.type !== 'video' || owner.ref?.rtx || owner.endpoint === except || !owner.endpoint.connected) continue;
      owner.endpoint.transport.sendRtcp(pli(ssrc));
    }
  }

  /** Records a packet's transport-wide sequence number and arrival time for the sender's transport-cc feedback. */
  noteArrival(from: SfuEndpoint, rtp: Buffer): void {
    const twcc = headerExtensionAt(rtp, from.headerExtensions.transportCc);
    if (twcc >= 0 && twcc + 2 <= rtp.length) from.transportFeedback.onPacket(rtp.readUInt16BE(twcc), from.transport.arrivalMs);
  }

  routeRtp(from: SfuEndpoint, rtp: Buffer): void {
    if (payloadOffset(rtp) < 0) return;
    this.noteArrival(from, rtp);
    const ssrc = ssrcOf(rtp);
    const owner = this.#owners.get(ssrc);
    // Only signalled sources are forwarded: an endpoint cannot inject a stream it did not announce.
    if (!owner || owner.endpoint !== from) return;
    if (!owner.ref?.rtx) from.receptionFor(ssrc, owner.type === 'audio' ? 48_000 : 90_000).onPacket(seqOf(rtp), timestampOf(rtp), this.#clock.now());
    if (owner.type === 'audio' ? from.audioMuted : from.videoMuted) return;
    if (owner.type === 'audio') {
      const level = audioLevel(rtp, from.headerExtensions.audioLevel);
      if (level !== undefined) this.#onAudioLevel(from, level);
    }
    // Forwarded packets keep only the audio level: the sender's mid (and anything else about its own m-lines) goes.
    stripHeaderExtensions(rtp, from.headerExtensions.audioLevel, owner.ref ? from.headerExtensions.av1DependencyDescriptor : -1);
    if (owner.ref) {
      this.#routeVideo(from, rtp, owner.ref);
      return;
    }
    const rewritten = owner.audio;
    const seq = seqOf(rtp);
    const ts = timestampOf(rtp);
    for (const ep of this.#endpoints.values()) {
      if (ep === from || !ep.connected) continue;
      if (ep.rewriting) {
        if (!rewritten || !ep.rewriting.audio.rewriteRtp(rtp, rewritten)) continue;
        ep.transport.sendRtp(rtp);
        rewriteRtp(rtp, ssrc, seq, ts);
      } else {
        ep.transport.sendRtp(rtp);
      }
      this.forwardedPackets += 1;
    }
  }

  /**
   * A packet of a video source (one of its simulcast layers, or its only one): each receiver gets
   * what its forwarder lets through, rewritten onto the first layer's SSRC, starting at a keyframe.
   */
  #routeVideo(from: SfuEndpoint, rtp: Buffer, ref: LayerRef): void {
    const now = this.#clock.now();
    const { source, layer } = ref;
    const keyframe = !ref.rtx && source.onPacket(layer, rtp, now);
    if (!ref.rtx) source.cache(layer).put(rtp, seqOf(rtp), now);
    if (source.wantsKeyframe(now) && from.connected) from.transport.sendRtcp(pli(source.primary.ssrc));
    source.expireLayers(now);
    const ssrc = ssrcOf(rtp);
    const seq = seqOf(rtp);
    const ts = timestampOf(rtp);
    const byte1 = rtp[1]!;
    const osnAt = ref.rtx ? payloadOffset(rtp) : -1;
    const osn = osnAt >= 0 && osnAt + 2 <= rtp.length ? rtp.readUInt16BE(osnAt) : -1;
    for (const ep of this.#endpoints.values()) {
      if (ep === from) continue;
      if (!ep.connected || !ep.receivesVideoOf(from.id)) {
        // Resuming later starts again at a keyframe.
        ep.pauseForwarder(source);
        continue;
      }
      const fw = ep.forwarderFor(source);
      const send = ref.rtx ? fw.forwardRtx(rtp, layer) : fw.forward(rtp, layer, keyframe, now);
      if (send && !ref.rtx && this.#dropPermille > 0 && Math.random() * 1000 < this.#dropPermille) {
        // Injected loss: the receiver sees a gap and NACKs it; the cache answers.
        rewriteRtp(rtp, ssrc, seq, ts);
        rtp[1] = byte1;
      } else if (send && (!ep.rewriting || ep.rewriting.video.rewriteRtp(rtp, source.rewritable))) {
        ep.transport.sendRtp(rtp);
        this.forwardedPackets += 1;
        // The next receiver rewrites from the original fields (a VP9 forwarder may have set the marker bit).
        rewriteRtp(rtp, ssrc, seq, ts);
        rtp[1] = byte1;
        if (osn >= 0) rtp.writeUInt16BE(osn, osnAt);
      }
      const wanted = fw.keyframeNeeded(now);
      if (wanted !== undefined && from.connected) from.transport.sendRtcp(pli(wanted));
    }
  }

  /** A (compound) RTCP packet from `from`: SRs on to receivers, its REMB noted, feedback about others' SSRCs to their senders. */
  routeRtcp(from: SfuEndpoint, rtcp: Buffer): void {
    let offset = 0;
    while (offset + 12 <= rtcp.length) {
      const type = rtcp[offset + 1]!;
      const length = (rtcp.readUInt16BE(offset + 2) + 1) * 4;
      if (offset + length > rtcp.length) return;
      if (type === RTCP_SR) this.#forwardSenderReport(from, rtcp.subarray(offset, offset + length));
      if (type === RTCP_PSFB) {
        const remb = rembBitrate(rtcp.subarray(offset, offset + length));
        if (remb !== undefined) from.setDownlinkEstimate(remb);
      }
      if (type === RTCP_PSFB || type === RTCP_RTPFB) {
        // A receiver with SSRC rewriting speaks of our slots: back to the source's SSRC and numbering first.
        if (from.rewriting) {
          const fb = rtcp.subarray(offset, offset + length);
          if (!from.rewriting.video.unmapFeedback(fb)) from.rewriting.audio.unmapFeedback(fb);
        }
        const owner = this.#owners.get(rtcp.readUInt32BE(offset + 8));
        if (owner && owner.endpoint !== from) this.feedback.toSender(from, owner.endpoint, owner.ref, rtcp.subarray(offset, offset + length));
      }
      offset += length;
    }
  }

  /**
   * A sender's SR goes on to the receivers of that stream (sender info only), so that they can
   * synchronise audio and video and report round trips: for video, only to receivers that get
   * this layer, on the SSRC and timeline they know it by.
   */
  #forwardSenderReport(from: SfuEndpoint, sr: Buffer): void {
    const ssrc = sr.readUInt32BE(4);
    const owner = this.#owners.get(ssrc);
    if (!owner || owner.endpoint !== from || owner.ref?.rtx) return;
    if (sr.length >= 16) from.receptionOf(ssrc)?.onSenderReport(sr.readUInt32BE(10), this.#clock.now());
    const ref = owner.ref;
    const plain = ref ? null : senderInfoReport(sr, ssrc, 0);
    for (const ep of this.#endpoints.values()) {
      if (ep === from || !ep.connected) continue;
      let report = plain;
      if (ref) {
        const fw = ep.forwarderOf(ref.source);
        if (!fw || fw.currentEncoding !== ref.layer) continue;
        report = senderInfoReport(sr, ref.source.primary.ssrc, fw.timestampOffset);
      }
      if (report && ep.rewriting) {
        // A copy per receiver: its slot's SSRC and timeline (none yet: the receiver has not had the source).
        const copy = Buffer.from(report);
        const slots = ref ? ep.rewriting.video : ep.rewriting.audio;
        if (slots.rewriteSenderReport(copy, ref ? ref.source.primary.ssrc : ssrc)) ep.transport.sendRtcp(copy);
      } else if (report) {
        ep.transport.sendRtcp(report);
      }
    }
  }
}
