import { describe, expect, it } from 'vitest';
import { validateEndpointSources } from './endpoint-sources.ts';
import { decodeJsonSources, encodeJsonSources } from './json-sources.ts';
import type { EndpointSources } from './types.ts';

const limits = { maxSsrcsPerMedia: 20, maxGroupsPerMedia: 20 };

function video(ssrcs: number[], groups: EndpointSources['video']['groups']): EndpointSources {
  return { audio: { sources: [], groups: [] }, video: { sources: ssrcs.map((ssrc) => ({ ssrc, name: 'e-v0' })), groups } };
}

describe('endpoint sources', () => {
  it('validateEndpointSources() accepts three simulcast layers with RTX', () => {
    const s = video([1, 2, 3, 4, 5, 6], [{ semantics: 'SIM', ssrcs: [1, 3, 5] }, { semantics: 'FID', ssrcs: [1, 2] }, { semantics: 'FID', ssrcs: [3, 4] }, { semantics: 'FID', ssrcs: [5, 6] }]);
    expect(() => validateEndpointSources('e', s, limits)).not.toThrow();
  });

  it('validateEndpointSources() with a group naming an unknown SSRC throws bad-request', () => {
    expect(() => validateEndpointSources('e', video([1], [{ semantics: 'FID', ssrcs: [1, 2] }]), limits)).toThrow(/unknown SSRC 2/);
  });

  it('validateEndpointSources() with a duplicate SSRC throws bad-request', () => {
    expect(() => validateEndpointSources('e', video([7, 7], []), limits)).toThrow(/twice/);
  });

  it('validateEndpointSources() over the per-media limit throws bad-request', () => {
    expect(() => validateEndpointSources('e', video(Array.from({ length: 21 }, (_, i) => i + 1), []), limits)).toThrow(/more than 20/);
  });

  it('validateEndpointSources() with a 4-layer SIM group or a 3-SSRC FID group throws', () => {
    expect(() => validateEndpointSources('e', video([1, 2, 3, 4], [{ semantics: 'SIM', ssrcs: [1, 2, 3, 4] }]), limits)).toThrow(/SIM/);
    expect(() => validateEndpointSources('e', video([1, 2, 3], [{ semantics: 'FID', ssrcs: [1, 2, 3] }]), limits)).toThrow(/FID/);
  });

  it('encodeJsonSources() then decodeJsonSources() round-trips, owners attached', () => {
    const map = { ep1: { audio: { sources: [{ ssrc: 9, name: 'ep1-a0', owner: 'ep1' }], groups: [] }, video: { sources: [{ ssrc: 10, name: 'ep1-v0', owner: 'ep1', videoType: 'desktop' as const }], groups: [] } } };
    expect(decodeJsonSources(encodeJsonSources(map))).toEqual(map);
  });

  it('decodeJsonSources() with a bad group kind throws bad-request', () => {
    expect(() => decodeJsonSources('{"sources":{"a":[[{"s":1},{"s":2}],[["x",1,2]],[]]}}')).toThrow(/group kind/);
  });
});
