/**
 * Secrets at rest (S3 secret access keys must be recoverable to verify SigV4, so they are encrypted,
 * not hashed). AES-256-GCM under the server key, which lives outside the database: a stolen database
 * file yields only ciphertext. The additional data binds each ciphertext to its row (the access key
 * id), so ciphertexts cannot be swapped between rows.
 */
import { fromBase64Url, randomBytes, toBase64Url } from './digests.ts';

const VERSION = 'v1';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class SecretBox {
  private constructor(private readonly key: CryptoKey) {}

  static async create(rawKey: Uint8Array): Promise<SecretBox> {
    if (rawKey.length !== 32) throw new Error('the server key must be 32 bytes');
    const key = await crypto.subtle.importKey('raw', rawKey as BufferSource, 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]);
    return new SecretBox(key);
  }

  async seal(plaintext: string, boundTo: string): Promise<string> {
    const iv = randomBytes(12);
    const ct = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv: iv as BufferSource, additionalData: encoder.encode(boundTo) },
      this.key,
      encoder.encode(plaintext),
    );
    return `${VERSION}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ct))}`;
  }

  /** Throws when the ciphertext was made under another key or for another row. */
  async open(sealed: string, boundTo: string): Promise<string> {
    const [version, ivText, ctText] = sealed.split('.');
    const iv = ivText ? fromBase64Url(ivText) : null;
    const ct = ctText ? fromBase64Url(ctText) : null;
    if (version !== VERSION || !iv || !ct) throw new Error('not a sealed secret');
    const pt = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: iv as BufferSource, additionalData: encoder.encode(boundTo) },
      this.key,
      ct as BufferSource,
    );
    return decoder.decode(pt);
  }
}
