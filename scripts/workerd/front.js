// The self-hosted edge's front door on workerd: what Cloudflare's asset router does in front of the
// Worker (wrangler.toml [assets]), for a Worker whose static files are a workerd disk directory.
// Plain JS, loaded by workerd as an ES module (scripts/workerd-config.mjs writes the config).
//
// The default export is the front door (the HTTP socket's service); `assets` (a named entrypoint)
// serves files only, as the edge Worker's ASSETS binding.
// env.WORKER: the edge Worker; env.FILES: the disk directory holding the built web app;
// env.RUN_WORKER_FIRST: JSON list of path patterns ("/about/*") that always go to the Worker;
// env.NOT_FOUND_HANDLING: "single-page-application" or "none" (the generator refuses others).
//
// A request goes to the Worker when its path matches RUN_WORKER_FIRST; otherwise a GET or HEAD
// whose path names a file (`/`, `/x/` → index.html; `/x` → x or x.html) gets that file; a
// navigation (Sec-Fetch-Mode: navigate) that names none gets index.html under
// single-page-application (the web app's /<room> URLs); everything else goes to the Worker.

const TYPES = {
  html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8', json: 'application/json', map: 'application/json', svg: 'image/svg+xml',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', ico: 'image/x-icon',
  woff: 'font/woff', woff2: 'font/woff2', wasm: 'application/wasm', txt: 'text/plain; charset=utf-8',
  webmanifest: 'application/manifest+json', mp3: 'audio/mpeg', ogg: 'audio/ogg', wav: 'audio/wav',
};

/** The content type for a file name, by extension. */
export function contentType(path) {
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return (ext && TYPES[ext]) || 'application/octet-stream';
}

/** Whether `path` matches one of wrangler's run_worker_first patterns (`*` matches anything). */
export function matchesPattern(path, patterns) {
  return patterns.some((p) => new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(path));
}

/** Files that may answer `path`, in order. */
export function candidates(path) {
  if (path.endsWith('/')) return [`${path}index.html`];
  if (/\.[a-z0-9]+$/i.test(path.split('/').pop() ?? '')) return [path];
  return [path, `${path}.html`, `${path}/index.html`];
}

async function file(env, path, method) {
  // Dotfiles, `..` and encoded slashes never reach the disk service (it refuses them too).
  if (path.split('/').some((s) => s.startsWith('.')) || /%2f|%5c/i.test(path)) return null;
  const res = await env.FILES.fetch(new Request(`http://files${path}`, { method }));
  // workerd's disk service answers files as application/octet-stream, directories as a JSON listing.
  if (!res.ok || res.headers.get('content-type') === 'application/json') {
    await res.body?.cancel();
    return null;
  }
  const headers = new Headers({ 'content-type': contentType(path), 'cache-control': path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'public, max-age=0, must-revalidate' });
  const length = res.headers.get('content-length');
  if (length !== null) headers.set('content-length', length);
  return new Response(method === 'HEAD' ? null : res.body, { status: 200, headers });
}

/** Files only (404 otherwise): the edge Worker's ASSETS binding, as Cloudflare's is. */
export const assets = {
  async fetch(request, env) {
    const method = request.method === 'HEAD' ? 'HEAD' : 'GET';
    let path;
    try {
      path = decodeURIComponent(new URL(request.url).pathname);
    } catch {
      return new Response('bad path', { status: 400 });
    }
    for (const c of candidates(path)) {
      const found = await file(env, c, method);
      if (found) return found;
    }
    return new Response('not found', { status: 404 });
  },
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const patterns = JSON.parse(env.RUN_WORKER_FIRST ?? '[]');
    const method = request.method;
    if (matchesPattern(url.pathname, patterns) || (method !== 'GET' && method !== 'HEAD')) return env.WORKER.fetch(request);
    let path;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      return env.WORKER.fetch(request);
    }
    for (const c of candidates(path)) {
      const found = await file(env, c, method);
      if (found) return found;
    }
    const navigation = request.headers.get('sec-fetch-mode') === 'navigate';
    if (navigation && env.NOT_FOUND_HANDLING === 'single-page-application') {
      const index = await file(env, '/index.html', method);
      if (index) return index;
    }
    return env.WORKER.fetch(request);
  },
};
