/**
 * The core's Digests contract on Workers, from workerd's node:crypto (the `nodejs_compat` flag): MD5
 * and incremental hashes that Web Crypto lacks. No xxHash64 here (Workers may not compile WebAssembly
 * at run time), so reads check chunks against their SHA-256.
 */
import { createHash, createHmac } from 'node:crypto';
import type { Digests } from '../core/digests.ts';

export const workersDigests: Digests = {
  createHash(algorithm) {
    const h = createHash(algorithm);
    return {
      update: (data) => void h.update(data),
      digest: () => new Uint8Array(h.digest()),
    };
  },
  hmacSha256: (key, data) => new Uint8Array(createHmac('sha256', key).update(data).digest()),
  hmacSha1: (key, data) => new Uint8Array(createHmac('sha1', key).update(data).digest()),
};
