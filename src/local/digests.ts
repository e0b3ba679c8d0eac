/** The core's Digests contract, filled from node:crypto (OpenSSL) and xxhash-wasm. */
import * as crypto from 'node:crypto';
import xxhash from 'xxhash-wasm';
import type { Digests } from '../core/digests.ts';

const { h64Raw } = await xxhash();

export const nodeDigests: Digests = {
  createHash(algorithm) {
    const h = crypto.createHash(algorithm);
    return {
      update: (data) => void h.update(data),
      digest: () => h.digest(),
    };
  },
  hmacSha256: (key, data) => crypto.createHmac('sha256', key).update(data).digest(),
  hmacSha1: (key, data) => crypto.createHmac('sha1', key).update(data).digest(),
  xxh64: (data) => h64Raw(data).toString(16).padStart(16, '0'),
  // (a namespace import: a named import of `hash` would fail to load before Node 20.12; Deno has it)
  ...(typeof crypto.hash === 'function'
    ? { hashHex: (algorithm, data) => crypto.hash(algorithm, data, 'hex') }
    : {}),
};
