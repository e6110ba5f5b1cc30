import { describe, expect, it } from 'vitest';
import { Faults } from './faults.ts';
import type { Logger } from './log.ts';

function recordingLogger(lines: Array<{ event: string; fields?: Record<string, unknown> }>): Logger {
  const logger: Logger = {
    debug: () => undefined, info: () => undefined, warn: () => undefined,
    error: (event, fields) => { lines.push({ event, fields }); },
    child: () => logger,
  };
  return logger;
}

describe('Faults', () => {
  it('report() counts every fault but logs a site at most once per interval, with the repeats it skipped', () => {
    const lines: Array<{ event: string; fields?: Record<string, unknown> }> = [];
    let now = 0;
    const faults = new Faults(recordingLogger(lines), { logIntervalMs: 1000, now: () => now });
    for (let i = 0; i < 500; i++) faults.report('routing', new TypeError('boom'));
    faults.report('udp', new RangeError('other site'));
    expect(faults.counts()).toMatchObject({ routing: 500, udp: 1, 'colibri-ws': 0 });
    expect(lines.map((l) => l.fields?.site)).toEqual(['routing', 'udp']);
    now = 1500;
    faults.report('routing', new TypeError('boom'));
    expect(lines).toHaveLength(3);
    expect(lines[2]!.fields).toMatchObject({ site: 'routing', count: 501, unlogged: 499, error: { name: 'TypeError', message: 'boom' } });
  });

  it('guard() returns the result, or undefined after reporting what was thrown', () => {
    const lines: Array<{ event: string; fields?: Record<string, unknown> }> = [];
    const faults = new Faults(recordingLogger(lines));
    expect(faults.guard('timers', () => 7)).toBe(7);
    expect(faults.guard('timers', () => { throw new Error('tick failed'); }, { conference: 'c1' })).toBeUndefined();
    expect(faults.counts().timers).toBe(1);
    expect(lines[0]).toMatchObject({ event: 'handler.failed', fields: { site: 'timers', conference: 'c1' } });
  });

  it('reject() only counts', () => {
    const lines: Array<{ event: string; fields?: Record<string, unknown> }> = [];
    const faults = new Faults(recordingLogger(lines));
    faults.reject('srtp');
    faults.reject('srtp');
    expect(faults.rejected()).toMatchObject({ srtp: 2, srtcp: 0 });
    expect(lines).toHaveLength(0);
  });
});
