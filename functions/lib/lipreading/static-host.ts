import type { LipReadingHost } from '../ports';

/** A server that is always there (AVHUBERT_ENDPOINT: the local stack, or a fixed host): nothing to wake. */
export function staticLipReadingHost(endpoint: string): LipReadingHost {
  const ready = { state: 'ready' as const, endpoint: endpoint.replace(/\/+$/, '') };
  return { ensureRunning: async () => ready };
}
