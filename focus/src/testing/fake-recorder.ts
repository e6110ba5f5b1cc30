/**
 * The focus tests' recorders: a recorder directory of scripted Jibris, selected as Jicofo's
 * JibriDetector selects (the same selectJibri the Registry runs), answering a start as Jibri's
 * XmppApi does (result with status pending; off + busy + should_retry when busy) or failing it
 * (an error IQ, or silence: a timeout), answering a stop with status off, and recording every
 * request. Test code only.
 * @module
 */
// Internal: not exported from the package entry.
import { AppError, parseJibriIq, parseXml, type JibriIq } from '@edgemeet/protocol';
import type { RecorderDirectory } from '../host.ts';
import { jibriFailed, jibriPresence, selectJibri, type JibriInstance } from '../jibri/jibri-detector.ts';

export type RecorderBehaviour = 'pending' | 'busy' | 'error' | 'silent';

export const recorderJid = (id: string) => `jibribrewery@internal.auth.meet.jitsi/${id}`;

export function scriptedRecorders(ids: string[], clock: { now: number }) {
  const instances = new Map<string, JibriInstance>(ids.map((id) => [id, { id, available: true, lastSelected: null, lastFailed: null }]));
  const behaviour = new Map<string, RecorderBehaviour>();
  const requests: Array<JibriIq & { recorder: string }> = [];
  const failed: string[] = [];
  const directory: RecorderDirectory = {
    async select() {
      const chosen = selectJibri(instances.values(), clock.now);
      return { recorder: chosen ? { id: chosen.id, jid: recorderJid(chosen.id) } : null, anyConnected: instances.size > 0 };
    },
    async failed(id) {
      failed.push(id);
      const i = instances.get(id);
      if (i) jibriFailed(i, clock.now);
    },
    async request(id, payload) {
      const j = parseJibriIq(payload);
      requests.push({ recorder: id, ...j });
      if (!instances.has(id)) throw new AppError('service-unavailable', `recorder ${id} is not available`);
      if (j.action === 'stop') return parseXml('<iq type="result"><jibri xmlns="http://jitsi.org/protocol/jibri" status="off"/></iq>');
      switch (behaviour.get(id) ?? 'pending') {
        case 'pending':
          return parseXml('<iq type="result"><jibri xmlns="http://jitsi.org/protocol/jibri" status="pending"/></iq>');
        case 'busy':
          return parseXml('<iq type="result"><jibri xmlns="http://jitsi.org/protocol/jibri" status="off" failure_reason="busy" should_retry="true"/></iq>');
        case 'error':
          return parseXml('<iq type="error"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>');
        case 'silent':
          throw new AppError('timeout', 'no answer');
      }
    },
  };
  return {
    directory, instances, behaviour, requests, failed,
    /** A new brewery presence: available (healthy and idle) or not. */
    setAvailable(id: string, available: boolean) {
      const i = instances.get(id);
      if (i) jibriPresence(i, available);
    },
    /** Starts sent so far, by recorder. */
    starts: () => requests.filter((r) => r.action === 'start').map((r) => r.recorder),
    stops: () => requests.filter((r) => r.action === 'stop').map((r) => r.recorder),
  };
}
