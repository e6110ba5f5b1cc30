/**
 * The AV1 RTP Dependency Descriptor header extension (AV1 RTP specification, appendix A), read in
 * place: Chrome sends AV1 SVC (lib-jitsi-meet asks for L3T3_KEY / L2T3_KEY) as one SSRC whose
 * packets say, in this extension, which frame they carry: start/end of frame, a template id and a
 * frame number; keyframes also carry the template dependency structure, which gives each template
 * its spatial and temporal layer, its frame diffs (the frames it references) and the spatial
 * layers' resolutions. {@link readAv1Descriptor} turns one packet's descriptor into the same
 * per-layer-frame facts the VP9 payload descriptor gives ({@link Vp9Descriptor}: start, end,
 * spatial/temporal id, inter-picture and inter-layer prediction, whether upper layers use it), so
 * the SVC forwarder (vp9-forwarder.ts) selects AV1 layers as it does VP9's. The structure is kept
 * per source ({@link Av1Structure}) because later packets name templates of it. Nothing here
 * allocates per packet except when a new structure arrives.
 * @module
 */
import { VP9_MAX_SPATIAL, type Vp9Descriptor } from './rtp.ts';

/** Templates a structure may hold (template ids are 6 bits). */
const MAX_TEMPLATES = 64;
/** Frame diffs read per template or frame (the format allows 15 per template; more is refused). */
const MAX_FDIFFS = 16;

/** A template dependency structure: what the templates of the following frames mean. */
export class Av1Structure {
  /** False until a structure was read. */
  known = false;
  templateIdOffset = 0;
  templateCount = 0;
  decodeTargets = 0;
  /** Spatial layers (max spatial id + 1). */
  spatialLayers = 0;
  readonly spatialId = new Uint8Array(MAX_TEMPLATES);
  readonly temporalId = new Uint8Array(MAX_TEMPLATES);
  /** Per template: whether it references a frame of the same picture (a lower spatial layer), and a previous picture. */
  readonly interLayer = new Uint8Array(MAX_TEMPLATES);
  readonly interPicture = new Uint8Array(MAX_TEMPLATES);
  /** Some frame of a spatial layer above 0 predicts both from its own layer and from the one below (full SVC, not k-SVC). */
  fullSvc = false;
  /** Render heights per spatial layer (0: not sent). */
  readonly heights = new Int32Array(VP9_MAX_SPATIAL);
}

/** A bit reader over one extension's bytes. */
class Bits {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  end = 0;
  ok = true;

  reset(buf: Buffer, start: number, length: number): void {
    this.buf = buf;
    this.pos = start * 8;
    this.end = (start + length) * 8;
    this.ok = true;
  }

  f(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      if (this.pos >= this.end) {
        this.ok = false;
        return 0;
      }
      v = v * 2 + ((this.buf[this.pos >> 3]! >> (7 - (this.pos & 7))) & 1);
      this.pos++;
    }
    return v;
  }

  /** ns(n): a non-symmetric unsigned value below n. */
  ns(n: number): number {
    let w = 0;
    for (let x = n; x !== 0; x >>= 1) w++;
    const m = (1 << w) - n;
    const v = this.f(w - 1);
    if (v < m) return v;
    return (v << 1) - m + this.f(1);
  }
}

const bits = new Bits();
/** Scratch for a structure being read (it replaces the source's only once read whole). */
const scratch = new Av1Structure();
const fdiffs = new Int32Array(MAX_FDIFFS);

/** Offset and size of header extension `id`'s data (RFC 8285, both forms); size -1 if absent. */
function extension(rtp: Buffer, id: number): { at: number; size: number } {
  const none = { at: -1, size: -1 };
  if (id <= 0 || rtp.length < 12 || (rtp[0]! & 0x10) === 0) return none;
  const at = 12 + (rtp[0]! & 0x0f) * 4;
  if (rtp.length < at + 4) return none;
  const profile = rtp.readUInt16BE(at);
  const end = Math.min(rtp.length, at + 4 + rtp.readUInt16BE(at + 2) * 4);
  const oneByte = profile === 0xbede;
  if (!oneByte && (profile & 0xfff0) !== 0x1000) return none;
  for (let i = at + 4; i < end;) {
    const b = rtp[i]!;
    if (b === 0) { i++; continue; }
    if (oneByte && b >> 4 === 15) return none;
    const extId = oneByte ? b >> 4 : b;
    const dataAt = oneByte ? i + 1 : i + 2;
    const size = oneByte ? (b & 0x0f) + 1 : (rtp[i + 1] ?? 0);
    if (dataAt + size > end) return none;
    if (extId === id) return { at: dataAt, size };
    i = dataAt + size;
  }
  return none;
}

/** Reads a template dependency structure into `s`; false if malformed or beyond our bounds. */
function readStructure(b: Bits, s: Av1Structure): boolean {
  s.templateIdOffset = b.f(6);
  s.decodeTargets = b.f(5) + 1;
  // template_layers(): each next_layer_idc says whether the next template is of the same layer,
  // the next temporal layer, or the next spatial layer; 3 ends the list.
  let sid = 0;
  let tid = 0;
  let count = 0;
  for (;;) {
    if (count >= MAX_TEMPLATES) return false;
    s.spatialId[count] = sid;
    s.temporalId[count] = tid;
    count++;
    const next = b.f(2);
    if (!b.ok) return false;
    if (next === 3) break;
    if (next === 1) tid++;
    else if (next === 2) {
      tid = 0;
      sid++;
    }
  }
  if (sid >= VP9_MAX_SPATIAL) return false;
  s.templateCount = count;
  s.spatialLayers = sid + 1;
  // template_dtis(): two bits per template and decode target.
  b.f(2 * count * s.decodeTargets);
  // template_fdiffs()
  s.fullSvc = false;
  for (let t = 0; t < count; t++) {
    let layer = 0;
    let picture = 0;
    let n = 0;
    while (b.f(1) === 1) {
      if (++n > MAX_FDIFFS) return false;
      const diff = b.f(4) + 1;
      // Frames of one picture are numbered one after another from spatial layer 0 up: a diff of at
      // most the spatial id reaches a lower layer of the same picture.
      if (diff <= s.spatialId[t]!) layer = 1;
      else picture = 1;
    }
    s.interLayer[t] = layer;
    s.interPicture[t] = picture;
    if (layer && picture) s.fullSvc = true;
  }
  // template_chains()
  const chains = b.ns(s.decodeTargets + 1);
  if (chains > 0) {
    for (let dt = 0; dt < s.decodeTargets; dt++) b.ns(chains);
    b.f(4 * count * chains);
  }
  s.heights.fill(0);
  if (b.f(1) === 1) {
    for (let l = 0; l < s.spatialLayers; l++) {
      b.f(16);
      s.heights[l] = b.f(16) + 1;
    }
  }
  return b.ok;
}

function copyStructure(from: Av1Structure, to: Av1Structure): void {
  to.known = true;
  to.templateIdOffset = from.templateIdOffset;
  to.templateCount = from.templateCount;
  to.decodeTargets = from.decodeTargets;
  to.spatialLayers = from.spatialLayers;
  to.spatialId.set(from.spatialId);
  to.temporalId.set(from.temporalId);
  to.interLayer.set(from.interLayer);
  to.interPicture.set(from.interPicture);
  to.fullSvc = from.fullSvc;
  to.heights.set(from.heights);
}

/**
 * Reads `rtp`'s dependency descriptor (header extension `id`) into `d`, with the meaning of its
 * template from `structure` (replaced when the packet carries a new one; `learn` false: a packet
 * sent again, whose structure is not taken); returns `d.valid`. A packet whose template is not in
 * the known structure is not valid (its keyframe was missed).
 */
export function readAv1Descriptor(rtp: Buffer, id: number, structure: Av1Structure, d: Vp9Descriptor, learn = true): boolean {
  d.valid = false;
  d.pictureId = -1;
  d.pictureIdAt = -1;
  d.pictureIdBits = 0;
  d.tl0PicIdx = -1;
  d.tl0PicIdxAt = -1;
  d.ssLayers = 0;
  d.flexible = true;
  d.switchingUp = false;
  const ext = extension(rtp, id);
  if (ext.size < 3) return false;
  const b = bits;
  b.reset(rtp, ext.at, ext.size);
  d.start = b.f(1) === 1;
  d.end = b.f(1) === 1;
  const templateId = b.f(6);
  b.f(16);
  let attached = false;
  let customFdiffs = false;
  if (ext.size > 3) {
    const hasStructure = b.f(1) === 1;
    const hasActiveTargets = b.f(1) === 1;
    const customDtis = b.f(1) === 1;
    customFdiffs = b.f(1) === 1;
    b.f(1); // custom chains
    if (hasStructure) {
      if (!readStructure(b, scratch)) return false;
      attached = true;
      if (learn) copyStructure(scratch, structure);
    }
    const s = attached ? scratch : structure;
    if (hasActiveTargets) b.f(s.decodeTargets);
    if (customDtis) b.f(2 * s.decodeTargets);
  }
  const s = attached ? scratch : structure;
  if (!attached && !s.known) return false;
  const t = (templateId + MAX_TEMPLATES - s.templateIdOffset) % MAX_TEMPLATES;
  if (t >= s.templateCount) return false;
  d.sid = s.spatialId[t]!;
  d.tid = s.temporalId[t]!;
  let interLayer = s.interLayer[t] === 1;
  let interPicture = s.interPicture[t] === 1;
  if (customFdiffs) {
    // frame_fdiffs(): this frame's own references instead of its template's.
    interLayer = false;
    interPicture = false;
    let n = 0;
    for (let size = b.f(2); size !== 0 && b.ok; size = b.f(2)) {
      if (n >= MAX_FDIFFS) return false;
      const diff = b.f(4 * size) + 1;
      fdiffs[n++] = diff;
      if (diff <= d.sid) interLayer = true;
      else interPicture = true;
    }
  }
  if (!b.ok) return false;
  // A keyframe is the picture whose base layer references nothing (it comes with the structure).
  d.interPicture = interPicture;
  d.interLayer = interLayer;
  d.notUpperReference = interPicture && !s.fullSvc;
  if (attached) {
    d.ssLayers = s.spatialLayers;
    d.ssHeights.fill(0);
    for (let l = 0; l < s.spatialLayers; l++) d.ssHeights[l] = s.heights[l]!;
  }
  d.dataAt = -1;
  d.valid = true;
  return true;
}
