/**
 * Starts the real edge Worker (wrangler.toml at the repo root) in local mode on a free loopback
 * port, with telemetry and outside fetches off.
 */
import { fileURLToPath } from 'node:url';
import { unstable_startWorker } from 'wrangler';
import { localEnv } from '../../scripts/local-env.mjs';

export interface RunningEdge {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** ws://127.0.0.1:PORT/xmpp-websocket */
  readonly wsUrl: string;
  readonly domain: string;
  readonly mucDomain: string;
  stop(): Promise<void>;
}

Object.assign(process.env, localEnv);

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Starts an edge; `vars` override wrangler.toml [vars] (e.g. small limits for bad-input tests). */
export async function startEdge(vars: Record<string, string> = {}): Promise<RunningEdge> {
  const worker = await unstable_startWorker({
    config: `${root}wrangler.toml`,
    bindings: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, { type: 'plain_text', value: v }])),
    dev: { server: { hostname: '127.0.0.1', port: 0 }, inspector: false, watch: false, persist: false },
  });
  await worker.ready;
  const url = (await worker.url).toString().replace(/\/$/, '');
  const domain = vars.XMPP_DOMAIN ?? 'meet.jitsi';
  return {
    url,
    wsUrl: `${url.replace(/^http/, 'ws')}/xmpp-websocket`,
    domain,
    mucDomain: `conference.${domain}`,
    stop: () => worker.dispose(),
  };
}
