/** The core's Digests contract, filled from node:crypto (OpenSSL) and xxhash-wasm. */
import * as crypto from 'node:crypto';
import { createHash, createHmac } from 'node:crypto';
import xxhash from 'xxhash-wasm';
import type { Digests } from '../core/digests.ts';

const { h64Raw } = await xxhash();

export const nodeDigests: Digests = {
  createHash(algorithm) {
    const h = createHash(algorithm);
    return {
      update: (data) => void h.update(data),
      digest: () => h.digest(),
    };
  },
  hmacSha256: (key, data) => createHmac('sha256', key).update(data).digest(),
  hmacSha1: (key, data) => createHmac('sha1', key).update(data).digest(),
  xxh64: (data) => h64Raw(data).toString(16).padStart(16, '0'),
  // (Node 20.12 and later, and Deno)
  ...(typeof crypto.hash === 'function'
    ? { hashHex: (algorithm, data) => crypto.hash(algorithm, data, 'hex') }
    : {}),
};
