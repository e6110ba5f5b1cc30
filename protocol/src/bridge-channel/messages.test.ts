import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBridgeMessage, serializeBridgeMessage } from './messages.ts';

describe('bridge-channel messages', () => {
  it('parseBridgeMessage() reads lib-jitsi-meet messages, class names case-insensitively', () => {
    expect(parseBridgeMessage('{"colibriClass":"endpointmessage","to":"","msgPayload":{"type":"x"}}')).toEqual({ colibriClass: 'EndpointMessage', to: '', msgPayload: { type: 'x' } });
    const rvc = parseBridgeMessage('{"colibriClass":"ReceiverVideoConstraints","lastN":3,"defaultConstraints":{"maxHeight":180},"constraints":{"a-v0":{"maxHeight":720}}}');
    expect(rvc).toMatchObject({ colibriClass: 'ReceiverVideoConstraints', lastN: 3 });
  });

  it('parseBridgeMessage() reads the endpoint-based messages of lib-jitsi-meet before source names', () => {
    // As sent by lib-jitsi-meet 2.6726 (Dec 2021) in stage view.
    const rvc = parseBridgeMessage('{"colibriClass":"ReceiverVideoConstraints","constraints":{"8f190f82":{"maxHeight":720}},"defaultConstraints":{"maxHeight":180},"lastN":-1,"onStageEndpoints":["8f190f82"],"selectedEndpoints":[]}');
    expect(rvc).toMatchObject({ onStageEndpoints: ['8f190f82'], constraints: { '8f190f82': { maxHeight: 720 } } });
    expect(parseBridgeMessage('{"colibriClass":"ReceiverVideoConstraint","maxFrameHeight":360}')).toEqual({ colibriClass: 'ReceiverVideoConstraint', maxFrameHeight: 360 });
    expect(() => parseBridgeMessage('{"colibriClass":"ReceiverVideoConstraint"}')).toThrow(/maxFrameHeight/);
    expect(() => parseBridgeMessage('{"colibriClass":"ReceiverVideoConstraints","onStageEndpoints":[1]}')).toThrow(/onStageEndpoints/);
  });

  it('parseBridgeMessage() accepts every message lib-jitsi-meet 2.6726.2 (Dec 2021) sent in the interop test', () => {
    const sent = JSON.parse(readFileSync(new URL('../../../test/fixtures/bridge-channel/ljm-2021-client-messages.json', import.meta.url), 'utf8')) as object[];
    for (const m of sent) expect(parseBridgeMessage(JSON.stringify(m))).toEqual(m);
  });

  it('parseBridgeMessage() refuses garbage: not JSON, arrays, unknown classes, wrong field types, oversized', () => {
    for (const text of ['{nope', '[1,2]', '{"colibriClass":"Explode"}', '{"colibriClass":"EndpointMessage","msgPayload":{}}',
      '{"colibriClass":"ReceiverVideoConstraints","lastN":"all"}', '{"colibriClass":"ReceiverVideoConstraints","defaultConstraints":{}}']) {
      expect(() => parseBridgeMessage(text), text).toThrow(expect.objectContaining({ code: 'bad-request' }));
    }
    expect(() => parseBridgeMessage(`{"colibriClass":"ClientHello","x":"${'a'.repeat(70_000)}"}`)).toThrow(/longer than 65536/);
  });

  it('parseBridgeMessage() refuses an EndpointMessage nested 12,000 deep (it crashed the node when relayed) before parsing it', () => {
    // 24 KB, under the channel's 64 KB frame limit; serializing it again overflowed the stack.
    const text = `{"colibriClass":"EndpointMessage","to":"","msgPayload":${'['.repeat(12_000)}${']'.repeat(12_000)}}`;
    expect(() => parseBridgeMessage(text)).toThrow(expect.objectContaining({ code: 'bad-request', message: expect.stringMatching(/nested deeper than 32/) }));
    const deepest = `{"colibriClass":"EndpointMessage","to":"","msgPayload":${'['.repeat(31)}${']'.repeat(31)}}`;
    expect(serializeBridgeMessage(parseBridgeMessage(deepest))).toBe(deepest);
    expect(() => parseBridgeMessage(`{"colibriClass":"EndpointStats","list":[${'1,'.repeat(2000)}1]}`)).toThrow(/more than 1024 entries/);
  });

  it('serializeBridgeMessage() round-trips', () => {
    const m = { colibriClass: 'DominantSpeakerEndpointChangeEvent' as const, dominantSpeakerEndpoint: 'a', previousSpeakers: ['b'], silence: false };
    expect(parseBridgeMessage(serializeBridgeMessage(m))).toEqual(m);
  });
});
