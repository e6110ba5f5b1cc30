import { describe, expect, it } from 'vitest';
import { ConfigError, parseEdgeConfig } from './config.ts';

describe('parseEdgeConfig() recording keys', () => {
  it('parseEdgeConfig() defaults: Jicofo\'s pending timeout and retries, no maximum duration, the hidden domain and Jibri brewery from the domain', () => {
    const c = parseEdgeConfig({ XMPP_DOMAIN: 'meet.example.com' });
    expect(c.recording).toEqual({ pendingTimeoutSeconds: 90, numRetries: 5, maxDurationSeconds: 0, requestTimeoutMs: 15_000 });
    expect(c.hiddenDomain).toBe('recorder.meet.example.com');
    expect(c.jibriBreweryJid).toBe('jibribrewery@internal.auth.meet.example.com');
    expect(c.recorderSecret).toBeUndefined();
  });

  it('parseEdgeConfig() reads the recording keys', () => {
    const c = parseEdgeConfig({
      RECORDER_SECRET: 'recorder-secret-0123456789', RECORDING_PENDING_TIMEOUT_SECONDS: '30', RECORDING_NUM_RETRIES: '-1',
      RECORDING_MAX_DURATION_SECONDS: '3600', RECORDER_REQUEST_TIMEOUT_MS: '5000',
    });
    expect(c.recorderSecret).toBe('recorder-secret-0123456789');
    expect(c.recording).toEqual({ pendingTimeoutSeconds: 30, numRetries: -1, maxDurationSeconds: 3600, requestTimeoutMs: 5000 });
  });

  it('parseEdgeConfig() refuses a short recorder secret, one equal to the bridge secret, and bad numbers, naming every key', () => {
    expect(() => parseEdgeConfig({ RECORDER_SECRET: 'short' })).toThrow(/RECORDER_SECRET: must be at least 16 characters/);
    expect(() => parseEdgeConfig({ RECORDER_SECRET: 'same-secret-0123456789', BRIDGE_SECRET: 'same-secret-0123456789' })).toThrow(/RECORDER_SECRET: must differ from BRIDGE_SECRET/);
    try {
      parseEdgeConfig({ RECORDING_NUM_RETRIES: '-2', RECORDING_PENDING_TIMEOUT_SECONDS: 'soon' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.map((p) => p.split(':')[0])).toEqual(['RECORDING_PENDING_TIMEOUT_SECONDS', 'RECORDING_NUM_RETRIES']);
    }
  });
});
