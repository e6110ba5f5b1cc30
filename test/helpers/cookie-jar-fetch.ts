/**
 * A browser-shaped HTTP client for login tests: fetch with a cookie jar (cookies by host and path,
 * as browsers keep them: shared across ports, Max-Age honoured, HttpOnly irrelevant here) and
 * redirects followed one by one, so every hop of an OIDC login is real and visible.
 */

interface StoredCookie { name: string; value: string; host: string; path: string; expires: number }

export interface Hop { readonly url: string; readonly status: number; readonly location?: string }

export interface BrowserResponse {
  readonly url: string;
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
  /** Every response on the way, redirects included. */
  readonly hops: readonly Hop[];
}

export class CookieJarClient {
  readonly #cookies = new Map<string, StoredCookie>();

  /** Cookies the jar would send to `url`. */
  cookiesFor(url: string): StoredCookie[] {
    const u = new URL(url);
    const now = Date.now();
    return [...this.#cookies.values()].filter((c) => c.host === u.hostname && c.expires > now
      && (u.pathname === c.path || u.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)));
  }

  cookie(name: string): StoredCookie | undefined {
    return [...this.#cookies.values()].find((c) => c.name === name && c.expires > Date.now());
  }

  setCookie(host: string, name: string, value: string, path = '/'): void {
    this.#cookies.set(`${host}|${path}|${name}`, { name, value, host, path, expires: Date.now() + 3_600_000 });
  }

  #store(url: string, headers: Headers): void {
    const host = new URL(url).hostname;
    for (const line of headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      let path = '/';
      let expires = Number.POSITIVE_INFINITY;
      for (const a of attrs) {
        const [k, v = ''] = a.split('=');
        if (k!.toLowerCase() === 'path') path = v;
        if (k!.toLowerCase() === 'max-age') expires = Date.now() + Number(v) * 1000;
        if (k!.toLowerCase() === 'expires' && expires === Number.POSITIVE_INFINITY) expires = Date.parse(v);
      }
      const key = `${host}|${path}|${name}`;
      if (expires <= Date.now()) this.#cookies.delete(key);
      else this.#cookies.set(key, { name, value, host, path, expires });
    }
  }

  /** One request, no redirect following. */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookies = this.cookiesFor(url);
    if (cookies.length > 0) headers.set('cookie', cookies.map((c) => `${c.name}=${c.value}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.#store(url, res.headers);
    return res;
  }

  /** Follows redirects (GET after 302/303) up to `maxHops`, or until `stopAt` matches a Location. */
  async navigate(url: string, init: RequestInit = {}, o: { maxHops?: number; stopAt?: (location: string) => boolean } = {}): Promise<BrowserResponse> {
    const hops: Hop[] = [];
    let current = url;
    let request = init;
    for (let i = 0; i < (o.maxHops ?? 15); i++) {
      const res = await this.fetch(current, request);
      const location = res.headers.get('location') ?? undefined;
      hops.push({ url: current, status: res.status, location });
      if (res.status >= 300 && res.status < 400 && location) {
        const next = new URL(location, current).href;
        if (o.stopAt?.(next)) {
          await res.body?.cancel();
          return { url: next, status: res.status, headers: res.headers, body: '', hops };
        }
        await res.body?.cancel();
        current = next;
        request = {};
        continue;
      }
      return { url: current, status: res.status, headers: res.headers, body: await res.text(), hops };
    }
    throw new Error(`too many redirects: ${hops.map((h) => h.url).join(' -> ')}`);
  }

  /** Submits the first form of `page` with `fields`, following redirects. */
  async submitForm(page: BrowserResponse, fields: Record<string, string>, o: { stopAt?: (location: string) => boolean } = {}): Promise<BrowserResponse> {
    const action = /<form[^>]*action="([^"]+)"/.exec(page.body)?.[1];
    if (!action) throw new Error(`no form on ${page.url}:\n${page.body.slice(0, 500)}`);
    return this.navigate(new URL(action.replaceAll('&amp;', '&'), page.url).href, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString(),
    }, o);
  }
}
