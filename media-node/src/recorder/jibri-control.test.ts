/**
 * The recorder's control link (jibri-control.ts) against a scripted XMPP side: a loopback
 * WebSocket server that speaks just enough RFC 7395 (open, SASL PLAIN, bind) for @xmpp/client,
 * records what the recorder sends and sends it jibri IQs as the Registry relays the focus's.
 * Room connections (a session's `/xmpp-websocket`) are accepted and held, so a started session
 * stays pending: it keeps its slot.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { NS_JIBRI, parseJibriIq, parseJibriStatus, parseXml, type Element, type Logger } from '@edgemeet/protocol';
import { JibriControl } from './jibri-control.ts';
import { loadRecorderConfig } from './recorder-config.ts';

const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
const dir = mkdtempSync(join(tmpdir(), 'edgemeet-jibri-control-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One control connection as the scripted Registry sees it. */
interface ControlConn {
  ws: WebSocket;
  /** Stanzas the recorder sent after binding. */
  stanzas: Element[];
  closed: boolean;
}

class ScriptedRegistry {
  readonly controls: ControlConn[] = [];
  readonly rooms: Array<{ ws: WebSocket; closed: boolean }> = [];
  readonly #http: Server = createServer();
  readonly #wss = new WebSocketServer({ noServer: true, handleProtocols: () => 'xmpp' });
  #iq = 0;

  async listen(): Promise<string> {
    this.#http.on('upgrade', (req, socket, head) => {
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        if (req.url?.startsWith('/registry-websocket')) this.#control(ws);
        else {
          const room = { ws, closed: false };
          this.rooms.push(room);
          ws.on('close', () => { room.closed = true; });
        }
      });
    });
    await new Promise<void>((r) => this.#http.listen(0, '127.0.0.1', r));
    return `ws://127.0.0.1:${(this.#http.address() as AddressInfo).port}`;
  }

  #control(ws: WebSocket): void {
    const conn: ControlConn = { ws, stanzas: [], closed: false };
    this.controls.push(conn);
    let authed = false;
    ws.on('close', () => { conn.closed = true; });
    ws.on('message', (data) => {
      const el = parseXml(data.toString());
      if (el.name === 'open') {
        ws.send(`<open xmlns="${FRAMING}" from="auth.meet.jitsi" id="s${this.controls.length}" version="1.0" xml:lang="en"/>`);
        ws.send(authed
          ? '<stream:features xmlns:stream="http://etherx.jabber.org/streams"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></stream:features>'
          : '<stream:features xmlns:stream="http://etherx.jabber.org/streams"><mechanisms xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><mechanism>PLAIN</mechanism></mechanisms></stream:features>');
      } else if (el.name === 'auth') {
        authed = true;
        ws.send('<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"/>');
      } else if (el.name === 'iq' && el.getChild('bind', 'urn:ietf:params:xml:ns:xmpp-bind')) {
        ws.send(`<iq type="result" id="${el.attrs.id}"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><jid>rec-unit@auth.meet.jitsi/r</jid></bind></iq>`);
      } else if (el.name === 'close') {
        ws.close();
      } else {
        conn.stanzas.push(el);
        // A join of the brewery is reflected (status 110), as the Registry's jibri-brewery.ts does.
        if (el.name === 'presence' && el.attrs.type === undefined && conn.stanzas.filter((s) => s.name === 'presence').length === 1) {
          ws.send(`<presence from="${el.attrs.to}" to="rec-unit@auth.meet.jitsi/r"><x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="none" role="participant"/><status code="110"/></x></presence>`);
        }
      }
    });
  }

  /** The latest brewery status the recorder published on `conn`. */
  status(conn: ControlConn) {
    const last = conn.stanzas.filter((s) => s.name === 'presence' && parseJibriStatus(s)).at(-1);
    return last ? parseJibriStatus(last) : undefined;
  }

  /** Sends a jibri IQ from the focus; resolves with the recorder's answer (its <jibri/>). */
  async jibri(conn: ControlConn, attrs: Record<string, string>): Promise<ReturnType<typeof parseJibriIq>> {
    const id = `j${++this.#iq}`;
    const a = Object.entries(attrs).map(([k, v]) => `${k}="${v}"`).join(' ');
    conn.ws.send(`<iq type="set" id="${id}" from="focus@auth.meet.jitsi/focus" to="rec-unit@auth.meet.jitsi/r"><jibri xmlns="${NS_JIBRI}" ${a}/></iq>`);
    await expect.poll(() => conn.stanzas.some((s) => s.name === 'iq' && s.attrs.id === id), { timeout: 5000 }).toBe(true);
    const reply = conn.stanzas.find((s) => s.name === 'iq' && s.attrs.id === id)!;
    expect(reply.attrs.type).toBe('result');
    return parseJibriIq(reply.getChild('jibri', NS_JIBRI)!);
  }

  async close(): Promise<void> {
    for (const c of this.#wss.clients) c.terminate();
    this.#wss.close();
    await new Promise<void>((r) => this.#http.close(() => r()));
  }
}

function capturingLogger(events: Array<Record<string, unknown>>, context: Record<string, unknown> = {}): Logger {
  const at = (level: string) => (event: string, fields: Record<string, unknown> = {}) => { events.push({ level, event, ...context, ...fields }); };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (c) => capturingLogger(events, { ...context, ...c }) };
}

describe('JibriControl (scripted XMPP side)', () => {
  let registry: ScriptedRegistry;
  let control: JibriControl | undefined;
  const events: Array<Record<string, unknown>> = [];

  async function start(maxSessions: number): Promise<ControlConn> {
    registry = new ScriptedRegistry();
    const edgeUrl = await registry.listen();
    const config = loadRecorderConfig({
      EDGE_URL: edgeUrl, RECORDER_ID: 'rec-unit', RECORDER_SECRET: 'unit-secret-0123456789', RECORDINGS_DIR: dir,
      RECORDER_MAX_SESSIONS: String(maxSessions), RECORDER_COMPOSE: 'false',
    });
    control = new JibriControl(config, capturingLogger(events));
    control.start();
    await expect.poll(() => events.some((e) => e.event === 'control.joined'), { timeout: 5000 }).toBe(true);
    return registry.controls[0]!;
  }

  afterEach(async () => {
    await control?.stop('test over');
    control = undefined;
    await registry.close();
    events.length = 0;
  });

  it('at RECORDER_MAX_SESSIONS it publishes busy and answers a start as Jibri does: off, failure_reason busy, should_retry', async () => {
    const conn = await start(1);
    expect(registry.status(conn)).toEqual({ busy: 'idle', health: 'healthy' });
    const room = 'busyroom@conference.meet.jitsi';
    const first = await registry.jibri(conn, { action: 'start', recording_mode: 'file', room, session_id: 's-1' });
    expect(first).toMatchObject({ status: 'pending', sessionId: 's-1' });
    await expect.poll(() => registry.status(conn)?.busy, { timeout: 2000 }).toBe('busy');
    const second = await registry.jibri(conn, { action: 'start', recording_mode: 'file', room, session_id: 's-2' });
    // What the focus's JibriSession takes as "this one is busy": it marks it failed and tries another,
    // or answers resource-constraint when none is left (focus/src/jibri/jibri-recorder.test.ts).
    expect(second).toMatchObject({ status: 'off', failureReason: 'busy', shouldRetry: true, sessionId: 's-2' });
    expect(control!.recorder.sessionCount).toBe(1);
    // Stopping the first frees the slot: idle again.
    expect(await registry.jibri(conn, { action: 'stop', session_id: 's-1' })).toMatchObject({ status: 'off', sessionId: 's-1' });
    await expect.poll(() => registry.status(conn)?.busy, { timeout: 5000 }).toBe('idle');
    expect(control!.recorder.sessionCount).toBe(0);
    // The stop's result said off; the join it cut short sends no second (failed, should_retry) off.
    await expect.poll(() => events.some((e) => e.event === 'recording.start_aborted' && e.session === 's-1'), { timeout: 10_000 }).toBe(true);
    expect(events.filter((e) => e.event === 'jibri.status' && e.session === 's-1')).toEqual([]);
  });

  it('a dropped control connection ends its sessions (their room connections close), then it reconnects idle', async () => {
    const conn = await start(2);
    await registry.jibri(conn, { action: 'start', recording_mode: 'file', room: 'droproom@conference.meet.jitsi', session_id: 's-3' });
    await expect.poll(() => registry.rooms.length, { timeout: 5000 }).toBe(1);
    expect(control!.recorder.sessionCount).toBe(1);
    conn.ws.terminate();
    await expect.poll(() => events.find((e) => e.event === 'control.offline'), { timeout: 5000 }).toMatchObject({ sessions: 1 });
    await expect.poll(() => control!.recorder.sessionCount, { timeout: 5000 }).toBe(0);
    expect(events.filter((e) => e.event === 'jibri.status').map((e) => [e.session, e.status, e.failure])).toEqual([['s-3', 'off', 'error']]);
    await expect.poll(() => registry.rooms[0]!.closed, { timeout: 5000 }).toBe(true);
    // It dials again and rejoins the brewery with nothing running.
    await expect.poll(() => registry.controls.length, { timeout: 5000 }).toBe(2);
    const again = registry.controls[1]!;
    await expect.poll(() => registry.status(again), { timeout: 5000 }).toEqual({ busy: 'idle', health: 'healthy' });
  });
});
