/**
 * Presigned links this process has verified, by everything their signature covers: the method, the
 * target as sent (path and whole query, the signature itself included) and the signed headers' values
 * (the Host among them). A link is fetched again and again (a page's images, a download resumed); its
 * signature is a function of those inputs and the signing key alone, so the same inputs under the same
 * key verify alike, and the canonical request, its SHA-256 and the HMAC need not be made again. The
 * link's expiry, the key's own validity and the credential are still checked on every request.
 * Invariant: an entry exists only for inputs whose full verification succeeded under its key.
 */
export class VerifiedLinks {
  private readonly keys = new Map<string, Uint8Array>();

  constructor(private readonly max = 4096) {}

  /** What identifies a request's signed inputs (`values`: the signed headers' values, in order). */
  static id(method: string, rawTarget: string, values: (string | null)[]): string {
    return `${method} ${rawTarget}\n${values.join('\n')}`;
  }

  /** Whether `id` was verified under this very signing key (a new secret makes a new key). */
  has(id: string, key: Uint8Array): boolean {
    return this.keys.get(id) === key;
  }

  /** Remembers `id` as verified under `key` (ids past 2,048 characters are not kept: 8 MiB at most). */
  add(id: string, key: Uint8Array): void {
    if (id.length > 2048) return;
    if (this.keys.size >= this.max) this.keys.clear();
    this.keys.set(id, key);
  }
}
