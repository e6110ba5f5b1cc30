/**
 * Signing in for the web app: the edge's `/oidc/auth` sends the browser to the OpenID Provider and
 * back to the page with `?oidc=authorized&jwt=<Jitsi JWT>` (docs/login.md). The token is taken out
 * of the address bar at once, kept in this tab's sessionStorage while it is valid, shown as the
 * signed-in name and avatar, and handed to the meeting's XMPP connection. Log out forgets it.
 * The token is only read here, never trusted: the edge verifies it when the meeting connects.
 * @module
 */

const KEY = 'edgemeet.jwt';

export interface SignedInUser {
  readonly token: string;
  readonly name: string;
  readonly email?: string;
  /** An https URL, or undefined. */
  readonly avatar?: string;
  readonly moderator: boolean;
  /** The room the token is for, lower-case, or `*`. */
  readonly room: string;
}

/** `config.tokenAuthUrl` is published by the edge when login is configured. */
export function loginAvailable(config: { tokenAuthUrl?: string }): boolean {
  return typeof config.tokenAuthUrl === 'string';
}

function payloadOf(token: string): Record<string, unknown> | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    return JSON.parse(atob(part.replaceAll('-', '+').replaceAll('_', '/'))) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Moves a token the login left in the URL into sessionStorage and removes `jwt`/`oidc` from the address bar. */
export function takeTokenFromUrl(): 'authorized' | 'unauthorized' | 'failed' | undefined {
  const url = new URL(location.href);
  const outcome = url.searchParams.get('oidc') as 'authorized' | 'unauthorized' | 'failed' | null;
  const token = url.searchParams.get('jwt');
  if (token) sessionStorage.setItem(KEY, token);
  if (outcome === null && token === null) return undefined;
  url.searchParams.delete('jwt');
  url.searchParams.delete('oidc');
  history.replaceState(null, '', `${url.pathname}${url.search}${url.hash}`);
  return outcome ?? undefined;
}

/** The signed-in user whose token is still valid (and, given a room, is for it). */
export function signedInUser(room?: string): SignedInUser | undefined {
  const token = sessionStorage.getItem(KEY);
  if (!token) return undefined;
  const p = payloadOf(token);
  const exp = typeof p?.exp === 'number' ? p.exp : 0;
  if (!p || exp * 1000 < Date.now() + 30_000) {
    sessionStorage.removeItem(KEY);
    return undefined;
  }
  const tokenRoom = typeof p.room === 'string' ? p.room.toLowerCase() : '';
  if (room !== undefined && tokenRoom !== '*' && tokenRoom !== room.toLowerCase()) return undefined;
  const context = (p.context ?? {}) as { user?: Record<string, unknown> };
  const user = context.user ?? {};
  const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
  const avatar = text(user.avatar);
  return {
    token, room: tokenRoom,
    name: text(user.name) ?? text(user.email) ?? 'Signed in',
    email: text(user.email),
    avatar: avatar?.startsWith('https://') ? avatar : undefined,
    moderator: user.moderator === true || p.moderator === true,
  };
}

/** Where the Log in button goes: the edge's interactive login, returning to `path`. */
export function logInUrl(path: string): string {
  return `/oidc/auth?path=${encodeURIComponent(path)}`;
}

export function logOut(): void {
  sessionStorage.removeItem(KEY);
}
