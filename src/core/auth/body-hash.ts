/**
 * A SigV4 Authorization header with no x-amz-content-sha256 (curl's --aws-sigv4 up to 8.x sends none)
 * signs the SHA-256 of the body it sends, so that body must be read before the signature can be
 * checked. Only a small body is read so, into memory (at most BODY_HASH_LIMIT bytes, declared or
 * counted); a larger one is refused, naming the header that lets it stream. The signature still covers
 * every byte: the hash read here is what the signature is checked against.
 */
import type { Digests } from '../digests.ts';
import { concatBytes, hashHex } from '../digests.ts';
import { S3Error } from '../errors.ts';
import { ALGORITHM } from './sigv4.ts';

/** The largest body hashed before its signature is checked (the JSON API's own body limit). */
export const BODY_HASH_LIMIT = 1024 * 1024;

/** Whether the signature of this request covers a body hash the request does not state. */
export function needsBodyHash(headers: Headers): boolean {
  const auth = headers.get('authorization');
  return auth !== null && auth.startsWith(`${ALGORITHM} `) && !headers.has('x-amz-content-sha256');
}

export interface HashedBody {
  sha256: string;
  bytes: Uint8Array;
}

const tooLargeDefault = () =>
  new S3Error(
    'InvalidRequest',
    `Missing required header for this request: x-amz-content-sha256 (a body over ${BODY_HASH_LIMIT} ` +
      'bytes must state its SHA-256, or UNSIGNED-PAYLOAD, in it).',
  );

/** Reads the whole body (at most BODY_HASH_LIMIT bytes) and hashes it; an absent body hashes as empty. */
export async function readAndHash(
  body: AsyncIterable<Uint8Array> | null,
  headers: Headers,
  digests: Digests,
  tooLarge: () => S3Error = tooLargeDefault,
): Promise<HashedBody> {
  const declared = headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared.trim()) > BODY_HASH_LIMIT)
    throw tooLarge();
  const parts: Uint8Array[] = [];
  let size = 0;
  // (leaving the loop early stops the body: a stream is cancelled, Node's pieces are left unread)
  for await (const piece of body ?? []) {
    size += piece.length;
    if (size > BODY_HASH_LIMIT) throw tooLarge();
    parts.push(piece);
  }
  const bytes = concatBytes(parts, size);
  return { sha256: hashHex(digests, 'sha256', bytes), bytes };
}

/** The bytes read, as a body again. */
export async function* replay(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  if (bytes.length > 0) yield bytes;
}
