/**
 * The hashing contract the core needs from its runtime. WebCrypto has no MD5 (S3 ETags need it) and no
 * incremental digests (bodies stream), so each runtime entry fills this in from its own crypto in a few
 * lines (node:crypto on Node, Deno's and Workers' node-compatible crypto).
 */

export type DigestAlgorithm = 'md5' | 'sha1' | 'sha256';

export interface Hasher {
  update(data: Uint8Array | string): void;
  /** Finishes the hash; a hasher is used once. */
  digest(): Uint8Array;
}

export interface Digests {
  createHash(algorithm: DigestAlgorithm): Hasher;
  /** HMAC-SHA256, synchronous: SigV4 derives keys with four of these per request. */
  hmacSha256(key: Uint8Array, data: string): Uint8Array;
  /**
   * HMAC-SHA1 (a string as UTF-8), synchronous: SigV2 (legacy signatures, `aws s3 presign` links).
   * Web Crypto's importKey and sign for it cost more than the rest of a small GET (a third of the
   * serving thread).
   */
  hmacSha1(key: Uint8Array, data: Uint8Array | string): Uint8Array;
  /**
   * xxHash64 of the bytes as 16 hex digits, where the runtime can compute it fast (WebAssembly).
   * Chunks record it when written and reads check it instead of re-computing SHA-256, which costs
   * several times more CPU per byte. Runtimes without it fall back to SHA-256 on read.
   */
  xxh64?(data: Uint8Array): string;
  /**
   * A one-shot digest as lower-case hex, where the runtime has one (Node's `crypto.hash`): no hasher
   * object made and no hex built in JavaScript, for SigV4's hash of each canonical request.
   */
  hashHex?(algorithm: DigestAlgorithm, data: Uint8Array | string): string;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out;
}

export function fromHex(hex: string): Uint8Array | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

/** Strict base64 decoding; null when the text is not base64. */
export function fromBase64(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  try {
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64Url(text: string): Uint8Array | null {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  return fromBase64(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
}

/** The parts, joined into one array of `total` bytes (their summed length). */
export function concatBytes(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A byte string (each character one byte, as header values are) as its bytes; ASCII-only text is
 * passed through as it is, which every hash reads the same. Characters beyond U+00FF keep their low byte.
 */
export function latin1Bytes(text: string): Uint8Array | string {
  if (!/[^\x00-\x7f]/.test(text)) return text;
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

const encoder = new TextEncoder();
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function hashHex(digests: Digests, algorithm: DigestAlgorithm, data: Uint8Array | string): string {
  if (digests.hashHex) return digests.hashHex(algorithm, data);
  const h = digests.createHash(algorithm);
  h.update(data);
  return toHex(h.digest());
}

/** Constant-time comparison for secrets and signatures. */
export function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

const B32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** Random lower-case base32 text of `length` characters (5 bits each). */
export function randomBase32(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += B32[bytes[i]! & 31];
  return out;
}
