/**
 * The systemd units in infra/systemd, checked by systemd itself: `systemd-analyze verify` (every
 * directive known, the commands present) in a throwaway root holding the binaries they start, and
 * `systemd-analyze security --offline` for their exposure. Also: the media node's stop timeout
 * covers its default drain (DRAIN_TIMEOUT_MS + SHUTDOWN_MOVE_MS). Skipped with a warning where
 * systemd is not installed, except under CI (.ci/run installs it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MEDIA_NODE_ENV } from '../media-node/src/config.ts';
// @ts-expect-error plain JS module
import { stopTimeoutSeconds } from './media-node-env.mjs';

const root = new URL('..', import.meta.url).pathname;
const UNITS = ['edgemeet-media-node.service', 'edgemeet-edge.service', 'edgemeet-recorder.service'];
const haveSystemd = spawnSync('systemd-analyze', ['--version']).status === 0 && existsSync('/usr/lib/systemd/system/sysinit.target');
const maybe = haveSystemd || process.env.CI ? it : it.skip;
if (!haveSystemd && !process.env.CI) console.warn('skipping systemd unit verification: no systemd-analyze (apt-get install systemd)');

const unit = (name: string) => readFileSync(join(root, 'infra/systemd', name), 'utf8');
const directive = (text: string, key: string) => [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!);

describe('systemd units (infra/systemd)', () => {
  const fakeRoot = mkdtempSync(join(tmpdir(), 'edgemeet-units-'));
  afterAll(() => rmSync(fakeRoot, { recursive: true, force: true }));

  maybe('pass systemd-analyze verify without a warning, and are well hardened', () => {
    // A root with systemd's own units (targets the units name), ours, and the binaries they run.
    mkdirSync(join(fakeRoot, 'usr/lib/systemd'), { recursive: true });
    cpSync('/usr/lib/systemd/system', join(fakeRoot, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
    mkdirSync(join(fakeRoot, 'etc/systemd/system'), { recursive: true });
    for (const u of UNITS) copyFileSync(join(root, 'infra/systemd', u), join(fakeRoot, 'etc/systemd/system', u));
    for (const bin of ['opt/edgemeet/current/bin/node', 'opt/edgemeet/edge/bin/workerd']) {
      mkdirSync(join(fakeRoot, bin, '..'), { recursive: true });
      copyFileSync('/bin/true', join(fakeRoot, bin));
    }
    const verify = spawnSync('systemd-analyze', ['verify', `--root=${fakeRoot}`, ...UNITS], { encoding: 'utf8' });
    expect(`${verify.stdout}${verify.stderr}`.trim()).toBe('');
    expect(verify.status).toBe(0);
    for (const u of UNITS) {
      const report = execFileSync('systemd-analyze', ['security', '--offline=yes', `--root=${fakeRoot}`, u], { encoding: 'utf8' });
      const exposure = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(report)?.[1]);
      console.log(`${u}: systemd-analyze security exposure ${exposure} (0 best, 10 worst)`);
      expect(exposure).toBeLessThanOrEqual(2);
    }
  });

  it('run as a dedicated user, sandboxed, restarted, with resource limits', () => {
    for (const u of UNITS) {
      const text = unit(u);
      expect(directive(text, 'User')).toEqual(['edgemeet']);
      for (const [k, v] of [['NoNewPrivileges', 'yes'], ['ProtectSystem', 'strict'], ['PrivateTmp', 'yes'], ['ProtectHome', 'yes'], ['KillSignal', 'SIGTERM']]) {
        expect(directive(text, k!), `${u} ${k}`).toEqual([v]);
      }
      expect(directive(text, 'Restart')[0]).toMatch(/^(on-failure|always)$/);
      expect(directive(text, 'LimitNOFILE')).toHaveLength(1);
      expect(directive(text, 'TimeoutStopSec')).toHaveLength(1);
    }
  });

  it('give a draining media node its whole drain before systemd kills it', () => {
    const timeout = Number(directive(unit('edgemeet-media-node.service'), 'TimeoutStopSec')[0]);
    const drainMs = Number(MEDIA_NODE_ENV.find((e) => e.key === 'DRAIN_TIMEOUT_MS')!.default) + Number(MEDIA_NODE_ENV.find((e) => e.key === 'SHUTDOWN_MOVE_MS')!.default);
    expect(timeout * 1000).toBeGreaterThan(drainMs);
    expect(timeout).toBe(stopTimeoutSeconds(MEDIA_NODE_ENV));
  });
});
