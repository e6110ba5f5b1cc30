/**
 * Where a live stream goes, from the jibri IQ's `streamid`, as Jibri decides it: an `rtmp://` or
 * `rtmps://` URL is used as it is, anything else is a YouTube stream key appended to YouTube's
 * ingest URL. Only targets whose host is on the allow-list (RECORDER_RTMP_ALLOW) are accepted, as
 * Jibri's RTMP allow-list; a refused one ends the request with status off, failure_reason error.
 * For a YouTube broadcast id, the viewing URL the recorder's occupant carries.
 * @module
 */

/** Jibri's ingest for a bare stream key. */
export const YOUTUBE_INGEST = 'rtmp://a.rtmp.youtube.com/live2/';

export class StreamTargetError extends Error {
  override name = 'StreamTargetError';
}

/** One allow-list entry: a host name or address, optionally with `:port` (any port when absent). */
export interface AllowedTarget { readonly host: string; readonly port?: number }

/** Parses RECORDER_RTMP_ALLOW: host[:port] entries separated by commas or spaces. */
export function parseRtmpAllow(value: string): AllowedTarget[] | string {
  const out: AllowedTarget[] = [];
  for (const entry of value.split(/[\s,]+/).filter(Boolean)) {
    const m = /^([a-z0-9.-]+|\[[0-9a-f:]+\])(?::(\d{1,5}))?$/i.exec(entry);
    if (!m || (m[2] && (Number(m[2]) < 1 || Number(m[2]) > 65535))) return `bad entry ${JSON.stringify(entry)} (host or host:port)`;
    out.push({ host: m[1]!.toLowerCase(), ...(m[2] ? { port: Number(m[2]) } : {}) });
  }
  return out;
}

/** The RTMP(S) URL a streamid names, if the allow-list lets it through; throws StreamTargetError otherwise. */
export function resolveStreamTarget(streamId: string | undefined, allow: readonly AllowedTarget[]): string {
  const id = streamId?.trim() ?? '';
  if (!id) throw new StreamTargetError('no stream id');
  if (/[\s\0-\x1f]/.test(id) || id.length > 2048) throw new StreamTargetError('stream id with spaces or control characters, or too long');
  const isUrl = /^rtmps?:\/\//i.test(id);
  // A stream key is one path segment (YouTube's look like xxxx-xxxx-xxxx-xxxx-xxxx).
  if (!isUrl && !/^[A-Za-z0-9._~-]+$/.test(id)) throw new StreamTargetError('neither an rtmp:// or rtmps:// URL nor a stream key');
  const target = isUrl ? id : `${YOUTUBE_INGEST}${id}`;
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new StreamTargetError('not a valid RTMP URL');
  }
  if (url.protocol !== 'rtmp:' && url.protocol !== 'rtmps:') throw new StreamTargetError(`not rtmp:// or rtmps:// (${url.protocol})`);
  if (url.username || url.password) throw new StreamTargetError('credentials in the URL are not accepted');
  // As Jibri's RtmpUrlValidator: an application and a stream key.
  if (url.pathname.split('/').filter(Boolean).length < 2) throw new StreamTargetError('the RTMP URL has no application and stream key');
  const host = url.hostname.toLowerCase();
  const port = Number(url.port || (url.protocol === 'rtmps:' ? 443 : 1935));
  if (!allow.some((a) => a.host === host && (a.port === undefined || a.port === port))) {
    throw new StreamTargetError(`target host ${host}:${port} is not in RECORDER_RTMP_ALLOW`);
  }
  return target;
}

/** The target with its stream key hidden, for logs. */
export function redactTarget(target: string): string {
  const cut = target.lastIndexOf('/');
  return cut > target.indexOf('//') + 1 ? `${target.slice(0, cut + 1)}…` : target;
}

/** What the recorder's occupant carries for a YouTube broadcast (Jibri's viewing URL). */
export function liveStreamViewUrl(youTubeBroadcastId: string | undefined): string | undefined {
  const id = youTubeBroadcastId?.trim();
  return id && /^[A-Za-z0-9_-]{1,64}$/.test(id) ? `https://youtu.be/${id}` : undefined;
}
