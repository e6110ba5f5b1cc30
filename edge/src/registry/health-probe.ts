/**
 * Asks a media node's health URL whether its process is there (see RegistryServer): an answer of
 * any kind is 'up'; a refused connection is 'down'; no answer within the time limit is 'unknown'
 * (a slow or partitioned network is not proof of death).
 * @module
 */
import type { ProbeResult } from './registry-server.ts';

export async function probeHealth(url: string, timeoutMs: number): Promise<ProbeResult> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return 'up';
  } catch (err) {
    return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError') ? 'unknown' : 'down';
  }
}
