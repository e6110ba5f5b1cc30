/**
 * SSRC rewriting for one receiver (JVB's SsrcCache, for endpoints created with the Colibri2
 * capability `ssrc-rewriting`): instead of every sender's SSRCs, signalled to the receiver by the
 * focus, the receiver gets media on a bounded set of SSRCs of the node's own ("slots"), and the
 * node tells it over the bridge channel which source each slot carries now
 * (AudioSourcesMap / VideoSourcesMap). A slot is taken by a source when its first packet is sent
 * to the receiver; when all are taken, the one used longest ago is given to the newcomer.
 *
 * Each slot keeps its output stream continuous: when a source starts on a slot, its sequence
 * numbers and timestamps are moved so that they follow what the slot sent last (JVB computes the
 * same deltas). RTX packets go on the slot's second SSRC with their own deltas. Sender reports
 * get the slot's SSRC and timestamp delta; the receiver's feedback (PLI, NACK) about a slot SSRC
 * is turned back into the source's SSRC and numbering before the rest of the node sees it.
 * Packets are rewritten in place; callers restore the fields for the next receiver.
 * @module
 */
import type { AudioSourceMapping, VideoSourceMapping } from '@edgemeet/protocol';
import { RTCP_RTPFB, payloadOffset, rewriteRtp, seqOf, ssrcOf, timestampOf } from './rtp.ts';

/** A source as the receiver learns it: name, owner (endpoint id), the SSRC(s) the node reads it on. */
export interface RewritableSource {
  readonly name: string;
  readonly owner: string;
  /** The SSRC the forwarding path puts the source's packets on before rewriting (for video, its first layer's). */
  readonly ssrc: number;
  /** Its RTX SSRC, if any (video). */
  readonly rtx?: number;
  readonly videoType?: 'CAMERA' | 'DESKTOP';
}

/** What a slot carries now, as the bridge channel message says it. */
export interface SlotMapping {
  readonly source: RewritableSource;
  readonly ssrc: number;
  readonly rtx: number;
}

const SEQ_MOD = 0x1_0000;
const TS_MOD = 0x1_0000_0000;
/** A guess for the timestamp step before a source's first packet on a slot (20 ms of Opus; JVB guesses the same). */
const FIRST_STEP = 960;

/** One output SSRC of a slot: what it sent last and how the current source's numbers are moved onto it. */
class OutputStream {
  readonly ssrc: number;
  lastSeq = 0;
  lastTs = 0;
  valid = false;
  seqDelta = 0;
  tsDelta = 0;
  constructor(ssrc: number) {
    this.ssrc = ssrc;
  }
}

/** One input SSRC of a source: what arrived last, and whether its deltas onto the slot are set. */
class InputStream {
  lastSeq = 0;
  lastTs = 0;
  valid = false;
  hasDeltas = false;
}

class Slot {
  source: RewritableSource;
  readonly primary: OutputStream;
  readonly rtx: OutputStream;
  lastUsed = 0;
  constructor(source: RewritableSource, primary: OutputStream, rtx: OutputStream) {
    this.source = source;
    this.primary = primary;
    this.rtx = rtx;
  }
}

export interface SsrcSlotsOptions {
  /** How many slots (JVB's `ssrc-limit`, 50 by default for audio and for video). */
  readonly size: number;
  /** A fresh SSRC for a new slot, unique among the receiver's. */
  readonly nextSsrc: () => number;
  /** Slots that now carry another source (tell the receiver). */
  readonly onRemap: (mappings: readonly SlotMapping[]) => void;
}

/** The slots of one media type (audio or video) of one receiver. */
export class SsrcSlots {
  readonly #o: SsrcSlotsOptions;
  /** By the source's SSRC. */
  readonly #slots = new Map<number, Slot>();
  /**
   * Output SSRC pairs of slots whose source left: the next new source takes one before any fresh
   * SSRC is made, so a receiver that already knows the SSRC needs no renegotiation (lib-jitsi-meet
   * only renegotiates for an SSRC it has not seen; JVB drops these and makes new ones).
   */
  readonly #free: Array<{ primary: OutputStream; rtx: OutputStream }> = [];
  /** Input state per source SSRC (primary and RTX). */
  readonly #inputs = new Map<number, InputStream>();
  #clock = 0;
  remaps = 0;

  constructor(o: SsrcSlotsOptions) {
    this.#o = o;
  }

  get size(): number {
    return this.#slots.size;
  }

  /** Every current mapping (sent again when the receiver's bridge channel opens). */
  mappings(): SlotMapping[] {
    return [...this.#slots.values()].map(toMapping);
  }

  /**
   * Puts an RTP packet of `source` (on `source.ssrc`, or its RTX on `source.rtx`) onto the
   * source's slot, taking one if it has none. In place; false if it must not be sent.
   */
  rewriteRtp(rtp: Buffer, source: RewritableSource): boolean {
    const inSsrc = ssrcOf(rtp);
    const isRtx = source.rtx !== undefined && inSsrc === source.rtx;
    if (!isRtx && inSsrc !== source.ssrc) return false;
    const slot = this.#slotFor(source);
    slot.lastUsed = ++this.#clock;
    const out = isRtx ? slot.rtx : slot.primary;
    let input = this.#inputs.get(inSsrc);
    if (!input) this.#inputs.set(inSsrc, input = new InputStream());
    const seq = seqOf(rtp);
    const ts = timestampOf(rtp);
    if (!input.hasDeltas) {
      if (out.valid) {
        // Continue the slot's stream: the first packet follows what the slot sent last.
        const fromSeq = input.valid ? input.lastSeq : (seq - 1 + SEQ_MOD) % SEQ_MOD;
        const fromTs = input.valid ? input.lastTs : (ts - FIRST_STEP + TS_MOD) % TS_MOD;
        out.seqDelta = (out.lastSeq - fromSeq + SEQ_MOD) % SEQ_MOD;
        out.tsDelta = (out.lastTs - fromTs + TS_MOD) % TS_MOD;
      } else {
        out.seqDelta = 0;
        out.tsDelta = 0;
      }
      input.hasDeltas = true;
    }
    input.lastSeq = seq;
    input.lastTs = ts;
    input.valid = true;
    const outSeq = (seq + out.seqDelta) % SEQ_MOD;
    const outTs = (ts + out.tsDelta) % TS_MOD;
    rewriteRtp(rtp, out.ssrc, outSeq, outTs);
    if (isRtx) {
      // The RTX payload begins with the original sequence number, which is in the primary's numbering.
      const at = payloadOffset(rtp);
      if (at >= 0 && at + 2 <= rtp.length) rtp.writeUInt16BE((rtp.readUInt16BE(at) + slot.primary.seqDelta) % SEQ_MOD, at);
    }
    out.lastSeq = outSeq;
    out.lastTs = outTs;
    out.valid = true;
    return true;
  }

  /** A sender report about `sourceSsrc` (a copy for this receiver): onto the slot's SSRC and timeline; false if the source has no slot. */
  rewriteSenderReport(sr: Buffer, sourceSsrc: number): boolean {
    const slot = this.#slots.get(sourceSsrc);
    if (!slot || !slot.primary.valid) return false;
    sr.writeUInt32BE(slot.primary.ssrc >>> 0, 4);
    sr.writeUInt32BE((sr.readUInt32BE(16) + slot.primary.tsDelta) % TS_MOD, 16);
    return true;
  }

  /**
   * The receiver's RTPFB/PSFB packet about one of our slot SSRCs, turned (in place) into one about
   * the source's SSRC and sequence numbers. False if the media SSRC is none of these slots'.
   */
  unmapFeedback(fb: Buffer): boolean {
    if (fb.length < 12) return false;
    const media = fb.readUInt32BE(8);
    for (const slot of this.#slots.values()) {
      const onRtx = slot.rtx.ssrc === media;
      if (slot.primary.ssrc !== media && !onRtx) continue;
      const inSsrc = onRtx ? slot.source.rtx : slot.source.ssrc;
      if (inSsrc === undefined) return false;
      fb.writeUInt32BE(inSsrc >>> 0, 8);
      if (fb[1] === RTCP_RTPFB && (fb[0]! & 0x1f) === 1) {
        const delta = (onRtx ? slot.rtx : slot.primary).seqDelta;
        for (let i = 12; i + 4 <= fb.length; i += 4) fb.writeUInt16BE((fb.readUInt16BE(i) - delta + SEQ_MOD) % SEQ_MOD, i);
      }
      return true;
    }
    return false;
  }

  /** The sources of an endpoint that left: their slots are free again (and not announced). */
  removeOwner(owner: string): void {
    for (const [ssrc, slot] of this.#slots) {
      if (slot.source.owner !== owner) continue;
      this.#slots.delete(ssrc);
      this.#inputs.delete(ssrc);
      if (slot.source.rtx !== undefined) this.#inputs.delete(slot.source.rtx);
      this.#free.push({ primary: slot.primary, rtx: slot.rtx });
    }
  }

  #slotFor(source: RewritableSource): Slot {
    const held = this.#slots.get(source.ssrc);
    if (held) {
      // The same source under the same SSRC, maybe renamed (a source-add after a remove): keep the slot.
      if (held.source !== source) held.source = source;
      return held;
    }
    let slot: Slot;
    const free = this.#free.shift();
    if (free) {
      // A leaver's SSRCs, already known to the receiver; their numbering continues.
      slot = new Slot(source, free.primary, free.rtx);
    } else if (this.#slots.size >= this.#o.size) {
      // Full: the slot used longest ago carries the newcomer; its SSRCs stay, its numbering continues.
      let eldest: [number, Slot] | undefined;
      for (const entry of this.#slots) if (!eldest || entry[1].lastUsed < eldest[1].lastUsed) eldest = entry;
      const [oldSsrc, old] = eldest!;
      this.#slots.delete(oldSsrc);
      this.#inputs.delete(oldSsrc);
      if (old.source.rtx !== undefined) this.#inputs.delete(old.source.rtx);
      slot = new Slot(source, old.primary, old.rtx);
      this.remaps++;
    } else {
      slot = new Slot(source, new OutputStream(this.#o.nextSsrc()), new OutputStream(this.#o.nextSsrc()));
    }
    for (const s of [source.ssrc, source.rtx]) {
      const input = s === undefined ? undefined : this.#inputs.get(s);
      if (input) input.hasDeltas = false;
    }
    this.#slots.set(source.ssrc, slot);
    this.#o.onRemap([toMapping(slot)]);
    return slot;
  }
}

function toMapping(slot: Slot): SlotMapping {
  return { source: slot.source, ssrc: slot.primary.ssrc, rtx: slot.rtx.ssrc };
}

/** A receiver's audio and video slots, and the bridge channel messages that announce them. */
export class SsrcRewriting {
  readonly audio: SsrcSlots;
  readonly video: SsrcSlots;
  readonly #used = new Set<number>();

  /** `send`: a serialized bridge message to the receiver; `taken`: SSRCs a slot must not use (the conference's). */
  constructor(o: { audioSlots: number; videoSlots: number; send: (message: AudioOrVideoMap) => void; taken?: (ssrc: number) => boolean }) {
    const nextSsrc = (): number => {
      for (;;) {
        const ssrc = (Math.floor(Math.random() * 0xffff_fffe) + 1) >>> 0;
        if (this.#used.has(ssrc) || o.taken?.(ssrc)) continue;
        this.#used.add(ssrc);
        return ssrc;
      }
    };
    this.audio = new SsrcSlots({ size: o.audioSlots, nextSsrc, onRemap: (m) => o.send(audioMap(m)) });
    this.video = new SsrcSlots({ size: o.videoSlots, nextSsrc, onRemap: (m) => o.send(videoMap(m)) });
  }

  /** Everything mapped now (when the receiver's bridge channel opens). */
  allMappings(): AudioOrVideoMap[] {
    const out: AudioOrVideoMap[] = [];
    if (this.audio.size > 0) out.push(audioMap(this.audio.mappings()));
    if (this.video.size > 0) out.push(videoMap(this.video.mappings()));
    return out;
  }

  removeOwner(owner: string): void {
    this.audio.removeOwner(owner);
    this.video.removeOwner(owner);
  }
}

export type AudioOrVideoMap =
  | { colibriClass: 'AudioSourcesMap'; mappedSources: AudioSourceMapping[] }
  | { colibriClass: 'VideoSourcesMap'; mappedSources: VideoSourceMapping[] };

function audioMap(m: readonly SlotMapping[]): AudioOrVideoMap {
  return { colibriClass: 'AudioSourcesMap', mappedSources: m.map((x) => ({ source: x.source.name, owner: x.source.owner, ssrc: x.ssrc })) };
}

function videoMap(m: readonly SlotMapping[]): AudioOrVideoMap {
  return {
    colibriClass: 'VideoSourcesMap',
    mappedSources: m.map((x) => ({ source: x.source.name, owner: x.source.owner, ssrc: x.ssrc, rtx: x.rtx, videoType: x.source.videoType ?? 'CAMERA' })),
  };
}
