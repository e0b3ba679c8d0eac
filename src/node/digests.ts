/** The core's Digests contract, filled from node:crypto (OpenSSL). */
import { createHash, createHmac } from 'node:crypto';
import type { Digests } from '../core/digests.ts';

export const nodeDigests: Digests = {
  createHash(algorithm) {
    const h = createHash(algorithm);
    return {
      update: (data) => void h.update(data),
      digest: () => h.digest(),
    };
  },
  hmacSha256: (key, data) => createHmac('sha256', key).update(data).digest(),
};
