/**
 * Per-step latency of one client, sequentially (no load): WebSocket open, stream open, SASL,
 * restart, bind, MUC join, ping. Shows where a join's time goes.
 *   node bench/signalling-steps.ts <ws-url> <domain> <1 = append ?room=>
 */
import { BenchClient, urlFor } from './lib/bench-client.ts';
const target = { url: process.argv[2]!, domain: process.argv[3]!, muc: `conference.${process.argv[3]}`, roomParam: process.argv[4] === '1' };
for (let i = 0; i < 6; i++) {
  const room = `probe-${i % 2}`;
  const t0 = performance.now();
  const c = await BenchClient.connect(urlFor(target, room));
  const t1 = performance.now();
  const open = `<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="${target.domain}" version="1.0"/>`;
  c.send(open); await c.next((f) => f.includes('</stream:features>') || f.includes('mechanisms'));
  const t2 = performance.now();
  c.send('<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="ANONYMOUS"/>'); await c.next((f) => f.startsWith('<success'));
  const t3 = performance.now();
  c.send(open); await c.next((f) => f.includes('urn:ietf:params:xml:ns:xmpp-bind'));
  const t4 = performance.now();
  c.send('<iq type="set" id="bind" xmlns="jabber:client"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>'); await c.next((f) => f.includes('id="bind"'));
  const t5 = performance.now();
  await c.join(target, room, `p${i}`);
  const t6 = performance.now();
  c.send(`<iq type="get" id="png" to="${target.domain}" xmlns="jabber:client"><ping xmlns="urn:xmpp:ping"/></iq>`); await c.next((f) => f.includes('id="png"'));
  const t7 = performance.now();
  console.log([t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5, t7 - t6].map((x) => x.toFixed(1)).join(' | '), ' ws-open | open | auth | reopen | bind | join | ping');
}
process.exit(0);
