#!/usr/bin/env node
// `npm run self-hosted:config -- [options]`: the self-hosted edge. Turns wrangler.toml into a
// directory that the open-source workerd runtime serves on one's own machine, the same Worker that
// `wrangler deploy` publishes:
//
//   <out>/worker/index.js     the Worker bundle (`wrangler deploy --dry-run --outdir`)
//   <out>/public/             the built web app (wrangler.toml [assets].directory)
//   <out>/front.js            the asset router in front of the Worker (scripts/workerd/front.js)
//   <out>/edgemeet.capnp      the workerd config: every edge environment key as a binding read
//                             from the process environment (fromEnvironment), the Durable Object
//                             namespaces (SQLite) stored on local disk, the assets, one HTTP socket
//   <out>/edge.env.example    every key, with its default, for /etc/edgemeet/edge.env
//
// Run it: workerd serve <out>/edgemeet.capnp [--socket-addr http=HOST:PORT]
//   [--directory-path edgemeet-do-storage=DIR] [--directory-path edgemeet-files=DIR]
// (infra/systemd/edgemeet-edge.service does). Options:
//   --out DIR          output directory (default dist/self-hosted)
//   --listen HOST:PORT the HTTP socket (default 127.0.0.1:8080: a TLS terminator goes in front)
//   --storage DIR      Durable Object storage (default /var/lib/edgemeet/durable-objects)
//   --outbound LIST    address classes the Worker may fetch (default public,private,local: the
//                      Registry probes media nodes' health URLs, which may be on the LAN or this host)
//   --no-web-build     use edge/public as it is instead of running `npm run build` first
//   --bundle-workerd   also copy the workerd binary (node_modules/workerd, ~150 MB) to <out>/bin/workerd,
//                      making <out> complete for /opt/edgemeet/edge (infra/systemd/edgemeet-edge.service)
// Node 22 (npm scripts have it): edge/src/config.ts is imported to learn which keys it reads.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { localEnv } from './local-env.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Every environment key the edge reads: parseEdgeConfig (edge/src/config.ts) run on an object that
 * records what is asked of it, plus wrangler.toml's [vars]. Sorted.
 */
export async function edgeEnvKeys(vars = {}) {
  const { parseEdgeConfig } = await import(pathToFileURL(join(root, 'edge/src/config.ts')).href);
  // First with nothing set, then with every key seen so far set (to "1", valid or not: a bad value
  // is reported, not thrown at once), until no new key turns up: keys read only when another is set
  // (JWT_ACCEPTED_AUDIENCES with JWT_APP_ID) are found too.
  // Keys read only when another has a valid value (GUEST_DOMAIN with AUTH_POLICY=guests, the OIDC_*
  // keys with a usable issuer and token signing) need valid values, not "1", to be found.
  const valid = {
    AUTH_POLICY: 'guests', OIDC_ISSUER_URL: 'https://login.example.com/realms/meet', JWT_APP_ID: 'app',
    JWT_APP_SECRET: 'x'.repeat(32), OIDC_CLIENT_ID: 'meet', OIDC_COOKIE_SECRET: 'y'.repeat(32),
  };
  const seen = new Set();
  for (let size = -1; size !== seen.size;) {
    size = seen.size;
    const set = new Set(seen);
    const recorder = new Proxy({}, { get: (_, key) => { if (typeof key !== 'string') return undefined; seen.add(key); return set.has(key) ? (valid[key] ?? '1') : undefined; } });
    try {
      parseEdgeConfig(recorder);
    } catch {
      // a ConfigError naming the "1"s that are not valid
    }
  }
  for (const k of Object.keys(vars)) seen.add(k);
  return [...seen].filter((k) => /^[A-Z][A-Z0-9_]*$/.test(k)).sort();
}

/** The edge rows of docs/configuration.md: key → { default, meaning } (for the env example). */
export function documentedEdgeKeys() {
  const md = readFileSync(join(root, 'docs/configuration.md'), 'utf8');
  const section = md.split(/^## /m).find((s) => s.startsWith('Edge')) ?? '';
  const rows = new Map();
  for (const line of section.split('\n')) {
    const m = /^\| `([A-Z][A-Z0-9_]*)` \| (.*?) \| (.*) \|$/.exec(line);
    if (m) rows.set(m[1], { default: m[2], meaning: m[3] });
  }
  return rows;
}

const capnpString = (s) => JSON.stringify(String(s));

/** The workerd config text. */
export function renderCapnp({ name, compatibilityDate, compatibilityFlags, envKeys, durableObjects, sqliteClasses, assets, listen, storage, filesDir, outbound, workerModules }) {
  const flags = compatibilityFlags.map(capnpString).join(', ');
  const bindings = [
    ...envKeys.map((k) => `    (name = ${capnpString(k)}, fromEnvironment = ${capnpString(k)}),`),
    ...durableObjects.map((d) => `    (name = ${capnpString(d.name)}, durableObjectNamespace = ${capnpString(d.class_name)}),`),
    ...(assets.binding ? [`    (name = ${capnpString(assets.binding)}, service = (name = "${name}", entrypoint = "assets")),`] : []),
  ];
  const namespaces = durableObjects.map((d) => `    (className = ${capnpString(d.class_name)}, uniqueKey = ${capnpString(`${name}-${d.class_name}`)}${sqliteClasses.has(d.class_name) ? ', enableSql = true' : ''}),`);
  const modules = workerModules.map((m, i) => `    (name = ${capnpString(m)}, ${m.endsWith('.wasm') ? 'wasm' : 'esModule'} = embed ${capnpString(`worker/${m}`)}),${i === 0 ? ' # main module' : ''}`);
  return `# Generated by scripts/workerd-config.mjs from wrangler.toml: do not edit, generate again.
# workerd serve edgemeet.capnp  (paths and the address can be overridden on the command line:
#   --socket-addr http=HOST:PORT --directory-path ${name}-do-storage=DIR --directory-path ${name}-files=DIR)
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "${name}", worker = .front),
    (name = "${name}-worker", worker = .edge),
    (name = "${name}-files", disk = (path = ${capnpString(filesDir)}, writable = false)),
    # Durable Object data: one directory per class (named by its uniqueKey), one SQLite file per object.
    (name = "${name}-do-storage", disk = (path = ${capnpString(storage)}, writable = true)),
    (name = "${name}-outbound", network = (allow = [${outbound.map(capnpString).join(', ')}], tlsOptions = (trustBrowserCas = true))),
  ],
  sockets = [
    # Plain HTTP for a TLS terminator in front (nginx, caddy): it sets X-Forwarded-Proto, so the
    # Worker sees https:// URLs and /config.js announces wss://.
    (name = "http", address = ${capnpString(listen)}, http = (forwardedProtoHeader = "X-Forwarded-Proto"), service = "${name}"),
  ],
);

# What Cloudflare's asset router does in front of the Worker (wrangler.toml [assets]).
const front :Workerd.Worker = (
  compatibilityDate = ${capnpString(compatibilityDate)},
  modules = [(name = "front.js", esModule = embed "front.js")],
  bindings = [
    (name = "WORKER", service = "${name}-worker"),
    (name = "FILES", service = "${name}-files"),
    (name = "RUN_WORKER_FIRST", text = ${capnpString(JSON.stringify(assets.run_worker_first ?? []))}),
    (name = "NOT_FOUND_HANDLING", text = ${capnpString(assets.not_found_handling ?? 'none')}),
  ],
);

# The edge Worker, bound as on Cloudflare. Vars and secrets alike come from the process environment
# (systemd: EnvironmentFile=/etc/edgemeet/edge.env); an unset key is null, i.e. its default.
const edge :Workerd.Worker = (
  compatibilityDate = ${capnpString(compatibilityDate)},
  compatibilityFlags = [${flags}],
  modules = [
${modules.join('\n')}
  ],
  bindings = [
${bindings.join('\n')}
  ],
  durableObjectNamespaces = [
    # uniqueKey names the storage directory and seeds every object id: never change it.
${namespaces.join('\n')}
  ],
  durableObjectStorage = (localDisk = "${name}-do-storage"),
  globalOutbound = "${name}-outbound",
);
`;
}

/** The env file template: every key, commented out, with its documented default. */
export function renderEnvExample(envKeys, documented, vars) {
  const lines = [
    '# /etc/edgemeet/edge.env: the self-hosted edge\'s configuration (root:edgemeet, mode 0640: it holds secrets).',
    '# Generated by scripts/workerd-config.mjs. The same keys as the Worker\'s vars and secrets on Cloudflare;',
    '# every key and its default: docs/configuration.md ("Edge"). An unset or empty key takes its default.',
    '',
  ];
  for (const k of envKeys) {
    const doc = documented.get(k);
    if (doc) lines.push(`# ${k}: ${doc.default.replace(/`/g, '')}`);
    const value = vars[k];
    lines.push(value === undefined ? `#${k}=` : `${k}=${value}`);
  }
  return `${lines.join('\n')}\n`;
}

async function main() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 18)) throw new Error(`Node ${process.versions.node}: run it with Node 22.18 or later (npm run self-hosted:config)`);
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'dist/self-hosted' },
      listen: { type: 'string', default: '127.0.0.1:8080' },
      storage: { type: 'string', default: '/var/lib/edgemeet/durable-objects' },
      outbound: { type: 'string', default: 'public,private,local' },
      'no-web-build': { type: 'boolean', default: false },
      'bundle-workerd': { type: 'boolean', default: false },
      config: { type: 'string', default: join(root, 'wrangler.toml') },
    },
  });
  const out = resolve(values.out);
  const env = { ...process.env, ...localEnv };
  const { unstable_readConfig } = await import('wrangler');
  const wc = unstable_readConfig({ config: values.config });
  const assets = wc.assets ?? {};
  if (!['single-page-application', 'none', undefined].includes(assets.not_found_handling)) {
    throw new Error(`[assets] not_found_handling = ${assets.not_found_handling}: only single-page-application and none are served by front.js`);
  }
  if (Array.isArray(assets.run_worker_first) === false && assets.run_worker_first !== undefined) throw new Error('[assets] run_worker_first: a list of patterns is expected');
  if (!values['no-web-build']) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, env, stdio: 'inherit' });

  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  // The bundle, exactly what `wrangler deploy` would upload.
  execFileSync(join(root, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--config', values.config, '--outdir', join(out, 'worker')], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const workerModules = readdirSync(join(out, 'worker')).filter((f) => /\.(m?js|wasm)$/.test(f)).sort((a, b) => (a === 'index.js' ? -1 : b === 'index.js' ? 1 : a.localeCompare(b)));
  if (workerModules[0] !== 'index.js') throw new Error('wrangler wrote no index.js');
  if (assets.directory) {
    const dir = isAbsolute(assets.directory) ? assets.directory : resolve(root, assets.directory);
    if (!existsSync(join(dir, 'index.html'))) throw new Error(`${relative(root, dir)}/index.html missing: build the web app (npm run build)`);
    cpSync(dir, join(out, 'public'), { recursive: true });
  } else {
    mkdirSync(join(out, 'public'));
  }
  cpSync(join(root, 'scripts/workerd/front.js'), join(out, 'front.js'));

  const vars = wc.vars ?? {};
  const envKeys = await edgeEnvKeys(vars);
  const sqliteClasses = new Set((wc.migrations ?? []).flatMap((m) => m.new_sqlite_classes ?? []));
  const outbound = values.outbound.split(',').map((s) => s.trim()).filter(Boolean);
  writeFileSync(join(out, 'edgemeet.capnp'), renderCapnp({
    name: wc.name, compatibilityDate: wc.compatibility_date, compatibilityFlags: wc.compatibility_flags ?? [], envKeys,
    durableObjects: wc.durable_objects?.bindings ?? [], sqliteClasses, assets, listen: values.listen, storage: resolve(values.storage),
    filesDir: join(out, 'public'), outbound, workerModules,
  }));
  writeFileSync(join(out, 'edge.env.example'), renderEnvExample(envKeys, documentedEdgeKeys(), vars));
  if (values['bundle-workerd']) {
    mkdirSync(join(out, 'bin'));
    cpSync(join(root, 'node_modules/workerd/bin/workerd'), join(out, 'bin/workerd'));
  }
  process.stdout.write(`${JSON.stringify({ event: 'workerd_config.written', out, keys: envKeys.length, listen: values.listen, storage: resolve(values.storage) })}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`workerd-config: ${err.message}\n`);
    process.exit(1);
  });
}
