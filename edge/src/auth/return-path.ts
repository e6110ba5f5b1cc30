/**
 * Where a login returns to: a same-origin relative path (never another origin, never a scheme,
 * `//host`, a backslash or a control character: no open redirect), its query and fragment, and the
 * room it names (the last path segment, as Jitsi's `/<tenant>/<room>` URLs do). Accepts the
 * jitsi-keycloak-adapter's `path`/`search`/`hash` parameters and jitsi-meet's `tokenAuthUrl`
 * `{room}` and `{state}` placeholders (state: JSON with room, tenant and config overrides).
 * @module
 */
// Internal: not exported from the package entry.
import { AppError, JidError, jid } from '@edgemeet/protocol';

export interface ReturnTarget {
  readonly path: string;
  /** Query without `?`, without the parameters a login sets (jwt, oidc). */
  readonly search: string;
  /** Fragment without `#`. */
  readonly hash: string;
  /** Lower-case room (`*` for the home page). */
  readonly room: string;
}

const MAX_PATH = 512;
const MAX_PART = 2048;
const LOGIN_PARAMS = ['jwt', 'oidc', 'oidc_error'];
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const BASE = 'https://return.invalid';

function roomOf(path: string, mucDomain: string): string {
  const last = path.split('/').filter((s) => s.length > 0).pop();
  if (last === undefined) return '*';
  let room: string;
  try {
    room = decodeURIComponent(last).toLowerCase();
  } catch {
    throw new AppError('bad-request', 'the return path is not valid percent-encoding');
  }
  try {
    jid(room, mucDomain);
  } catch (err) {
    if (err instanceof JidError) throw new AppError('bad-request', `the return path does not name a valid room: ${err.message}`);
    throw err;
  }
  return room;
}

/** Validates a return path (same-origin, relative) and the room it names. */
export function returnTarget(path: string | undefined, search: string | undefined, hash: string | undefined, mucDomain: string): ReturnTarget {
  const raw = path ?? '/';
  // `//host` is another origin to a browser; inner duplicate slashes are collapsed, as the adapter does.
  if (raw.startsWith('//')) throw new AppError('bad-request', 'the return path must be a same-origin path, not //host');
  const p = raw.replace(/\/{2,}/g, '/');
  if (!p.startsWith('/') || p.includes('\\') || CONTROL.test(p) || p.length > MAX_PATH) {
    throw new AppError('bad-request', 'the return path must be a same-origin path starting with /');
  }
  const resolved = new URL(p, BASE);
  if (resolved.origin !== BASE || resolved.pathname !== p || resolved.search !== '' || resolved.hash !== '') {
    throw new AppError('bad-request', 'the return path must be a plain same-origin path (no query, fragment or dot segments in it)');
  }
  if (p.startsWith('/oidc/')) throw new AppError('bad-request', 'the return path cannot be a login route');
  const s = (search ?? '').replace(/^\?/, '');
  const h = (hash ?? '').replace(/^#/, '');
  if (s.length > MAX_PART || h.length > MAX_PART || CONTROL.test(s) || CONTROL.test(h) || s.includes('#')) {
    throw new AppError('bad-request', 'the return query or fragment is too long or malformed');
  }
  const params = new URLSearchParams(s);
  for (const k of LOGIN_PARAMS) params.delete(k);
  return { path: p, search: params.toString(), hash: h, room: roomOf(p, mucDomain) };
}

/**
 * The return target of jitsi-meet's `tokenAuthUrl` (`?room={room}&state={state}`): state is the
 * JSON of `_getTokenAuthState` (room, roomSafe, tenant, `config.*` / `interfaceConfig.*` overrides,
 * which go back into the fragment where jitsi-meet reads them).
 */
export function returnTargetFromTokenAuthState(room: string | undefined, state: string | undefined, mucDomain: string): ReturnTarget {
  let parsed: Record<string, unknown> = {};
  if (state !== undefined && state !== '' && state !== '{state}') {
    try {
      const v: unknown = JSON.parse(state);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) parsed = v as Record<string, unknown>;
      else throw new Error('not an object');
    } catch {
      throw new AppError('bad-request', 'state must be the JSON object jitsi-meet puts in {state}');
    }
  }
  const name = typeof parsed.room === 'string' ? parsed.room : room;
  if (name === undefined || name === '' || name === '{room}') throw new AppError('bad-request', 'a room is required');
  const tenant = typeof parsed.tenant === 'string' && parsed.tenant !== '' ? parsed.tenant : undefined;
  if (tenant !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(tenant)) throw new AppError('bad-request', 'the tenant in state is not a valid tenant name');
  const segments = [tenant, name].filter((s): s is string => s !== undefined).map(encodeURIComponent);
  const hash = new URLSearchParams();
  for (const [k, v] of Object.entries(parsed)) {
    if ((k.startsWith('config.') || k.startsWith('interfaceConfig.')) && /^[A-Za-z0-9._]{1,100}$/.test(k)) hash.set(k, JSON.stringify(v));
  }
  return returnTarget(`/${segments.join('/')}`, '', hash.toString(), mucDomain);
}

/** The relative URL to send the browser back to, with `extra` query parameters. */
export function returnUrl(target: ReturnTarget, extra: Record<string, string>): string {
  const url = new URL(target.path, BASE);
  url.search = target.search;
  for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
  url.hash = target.hash;
  if (url.origin !== BASE) throw new AppError('bad-request', 'the return path must be same-origin');
  return `${url.pathname}${url.search}${url.hash}`;
}
