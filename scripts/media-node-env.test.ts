/**
 * The media node env file is generated from the config schema (MEDIA_NODE_ENV next to loadConfig):
 * the schema must name exactly the keys loadConfig reads, with the defaults it applies, and
 * docs/configuration.md and infra/env/media-node.env.example must follow it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig, MEDIA_NODE_ENV } from '../media-node/src/config.ts';
// @ts-expect-error plain JS module
import { renderEnvFile, stopTimeoutSeconds } from './media-node-env.mjs';

const root = new URL('..', import.meta.url).pathname;
const BASE = { BRIDGE_SECRET: 'a-test-secret-of-some-length' };

/** Keys loadConfig reads: every key asked of a recording environment, then again with those set. */
function keysLoadConfigReads(): string[] {
  const seen = new Set<string>();
  for (let size = -1; size !== seen.size;) {
    size = seen.size;
    const set = new Set(seen);
    const recorder = new Proxy({}, { get: (_, k) => { if (typeof k !== 'string') return undefined; seen.add(k); return set.has(k) ? '1' : undefined; } });
    try {
      loadConfig(recorder);
    } catch {
      // a ConfigError: "1" is not valid everywhere
    }
  }
  return [...seen].sort();
}

/** Parses KEY=VALUE lines (comments and blanks skipped), as systemd's EnvironmentFile does for these. */
function parseEnvFile(text: string): Record<string, string> {
  return Object.fromEntries(text.split('\n').filter((l) => /^[A-Z]/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

describe('media node env file from the config schema', () => {
  it('names exactly the keys loadConfig reads', () => {
    expect(MEDIA_NODE_ENV.map((e) => e.key).sort()).toEqual(keysLoadConfigReads());
  });

  it('documents the defaults loadConfig applies: writing a default down changes nothing', () => {
    const defaults = loadConfig(BASE);
    for (const e of MEDIA_NODE_ENV) {
      if (e.default === null) continue;
      expect(loadConfig({ ...BASE, [e.key]: e.default }), e.key).toEqual(defaults);
    }
    // Derived defaults are what their notes say.
    expect(defaults.publicIp).toBe(defaults.udpHost);
    expect(defaults.channelPublicUrl).toBeUndefined();
    expect(() => loadConfig({})).toThrow(/BRIDGE_SECRET: required/);
  });

  it('docs/configuration.md lists the same keys', () => {
    const md = readFileSync(`${root}docs/configuration.md`, 'utf8');
    const section = md.split(/^## /m).find((s) => s.startsWith('Media node')) ?? '';
    const documented = [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(MEDIA_NODE_ENV.map((e) => e.key).sort());
  });

  it('generates a file loadConfig accepts, with every key once, and the settings given', () => {
    const text: string = renderEnvFile(MEDIA_NODE_ENV, { EDGE_URL: 'wss://meet.example.com', BRIDGE_SECRET: 'x'.repeat(24), MEDIA_UDP_HOST: '0.0.0.0' });
    for (const e of MEDIA_NODE_ENV) expect(text.match(new RegExp(`^#?${e.key}=`, 'gm')), e.key).toHaveLength(1);
    const config = loadConfig(parseEnvFile(text));
    expect(config.edgeUrl).toBe('wss://meet.example.com');
    expect(config.udpHost).toBe('0.0.0.0');
    expect(config.udpPort).toBe(10000);
    expect(() => renderEnvFile(MEDIA_NODE_ENV, { NOT_A_KEY: '1' })).toThrow(/unknown keys: NOT_A_KEY/);
    expect(() => renderEnvFile(MEDIA_NODE_ENV, { NODE_ID: 'a\nEDGE_URL=x' })).toThrow(/newlines/);
    expect(stopTimeoutSeconds(MEDIA_NODE_ENV, { DRAIN_TIMEOUT_MS: '3000', SHUTDOWN_MOVE_MS: '1000' })).toBe(19);
  });

  it('infra/env/media-node.env.example is the generated template', () => {
    const example = readFileSync(`${root}infra/env/media-node.env.example`, 'utf8');
    expect(example).toBe(renderEnvFile(MEDIA_NODE_ENV, EXAMPLE_SETTINGS));
  });
});

/** The example's settings (a production node behind a TLS proxy); regenerate with scripts/media-node-env.mjs. */
const EXAMPLE_SETTINGS = {
  EDGE_URL: 'wss://meet.example.com', BRIDGE_SECRET: 'change-me-to-the-edge-BRIDGE_SECRET', NODE_ID: 'media-1',
  MEDIA_UDP_HOST: '0.0.0.0', MEDIA_PUBLIC_IP: '203.0.113.10', BRIDGE_CHANNEL_PUBLIC_URL: 'wss://media-1.meet.example.com',
};
