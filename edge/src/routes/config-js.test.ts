import { describe, expect, it } from 'vitest';
import { parseEdgeConfig } from '../config.ts';
import { clientConfig } from './config-js.ts';

describe('clientConfig()', () => {
  it('clientConfig() publishes the hidden domain recorders join from, as jitsi-meet\'s config.hiddenDomain', () => {
    const url = new URL('https://meet.example.com/config.js');
    expect(clientConfig(parseEdgeConfig({ XMPP_DOMAIN: 'meet.example.com' }), url).hiddenDomain).toBe('recorder.meet.example.com');
    expect(clientConfig(parseEdgeConfig({}), url).hiddenDomain).toBe('recorder.meet.jitsi');
  });
});
