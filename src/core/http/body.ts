/**
 * A request body as the client meant it: aws-chunked framing removed, signatures and the signed payload
 * hash checked, the length checked against what was declared, and Content-MD5 / x-amz-checksum-* values
 * compared once the last byte is in. Any failure surfaces as an S3Error thrown from the iteration or
 * from `verify()`, before anything is committed.
 */
import { decodeAwsChunked } from '../auth/chunked.ts';
import type { PayloadCheck } from '../auth/authenticate.ts';
import {
  CHECKSUM_ALGORITHMS,
  CHECKSUM_LENGTH,
  type ChecksumAlgorithm,
  checksumHeader,
  createChecksum,
  isChecksumAlgorithm,
} from '../checksums.ts';
import { type Digests, type Hasher, concatBytes, fromBase64, toBase64, toHex } from '../digests.ts';
import { S3Error } from '../errors.ts';

export interface IncomingBody {
  /** The decoded payload. Iterate once. */
  chunks: AsyncIterable<Uint8Array>;
  /** Declared payload length (decoded length for aws-chunked), if any. */
  length: number | null;
  /** Trailer headers of an aws-chunked body, filled when the body has been read. */
  trailers: Map<string, string>;
}

function declaredLength(headers: Headers, name: string): number | null {
  const v = headers.get(name);
  if (v === null) return null;
  if (!/^\d+$/.test(v.trim()))
    throw new S3Error('InvalidArgument', `${name} must be a non-negative integer.`, {
      fields: { ArgumentName: name },
    });
  return Number(v.trim());
}

async function* counted(
  source: AsyncIterable<Uint8Array>,
  length: number | null,
): AsyncGenerator<Uint8Array> {
  let seen = 0;
  for await (const piece of source) {
    seen += piece.length;
    if (length !== null && seen > length)
      throw new S3Error('IncompleteBody', 'The body is longer than its declared length.');
    yield piece;
  }
  if (length !== null && seen !== length) throw new S3Error('IncompleteBody');
}

async function* sha256Checked(
  source: AsyncIterable<Uint8Array>,
  expectedHex: string,
  digests: Digests,
): AsyncGenerator<Uint8Array> {
  const h = digests.createHash('sha256');
  for await (const piece of source) {
    h.update(piece);
    yield piece;
  }
  if (toHex(h.digest()) !== expectedHex) throw new S3Error('XAmzContentSHA256Mismatch');
}

export function incomingBody(
  pieces: AsyncIterable<Uint8Array> | null,
  headers: Headers,
  payload: PayloadCheck,
  digests: Digests,
): IncomingBody {
  const trailers = new Map<string, string>();
  const raw: AsyncIterable<Uint8Array> = pieces ?? (async function* () {})();
  const encoding = headers.get('content-encoding') ?? '';
  const chunked = payload.kind === 'chunked' || /(^|,)\s*aws-chunked\s*(,|$)/i.test(encoding);
  if (chunked) {
    const length = declaredLength(headers, 'x-amz-decoded-content-length');
    if (length === null)
      throw new S3Error('MissingContentLength', 'An aws-chunked body needs x-amz-decoded-content-length.');
    const signing = payload.kind === 'chunked' ? payload.signing : null;
    // a signed payload hash covers the bytes as sent, chunk framing included
    const sent = payload.kind === 'sha256' ? sha256Checked(raw, payload.hex, digests) : raw;
    return { chunks: counted(decodeAwsChunked(sent, signing, trailers), length), length, trailers };
  }
  const length = declaredLength(headers, 'content-length');
  let chunks: AsyncIterable<Uint8Array> = counted(raw, length);
  if (payload.kind === 'sha256') chunks = sha256Checked(chunks, payload.hex, digests);
  return { chunks, length, trailers };
}

/**
 * Reads a small body whole (XML documents, forms); bodies over `limit` bytes are refused as soon as
 * that shows, whether declared or not (a chunked body has no length).
 */
export async function readSmallBody(
  body: Pick<IncomingBody, 'chunks' | 'length'>,
  limit: number,
  tooLarge = () => new S3Error('MalformedXML', `The request body must be at most ${limit} bytes.`),
): Promise<Uint8Array> {
  if (body.length !== null && body.length > limit) throw tooLarge();
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const p of body.chunks) {
    size += p.length;
    if (size > limit) throw tooLarge();
    parts.push(p);
  }
  return concatBytes(parts, size);
}

export interface ComputedChecksum {
  algorithm: ChecksumAlgorithm;
  value: string;
}

/**
 * The integrity values of a body: its MD5 (the ETag of a single-part object, and Content-MD5's check)
 * and at most one x-amz-checksum-* algorithm, either sent as a header, announced in x-amz-trailer,
 * or merely requested with x-amz-checksum-algorithm / x-amz-sdk-checksum-algorithm.
 */
export class BodyDigests {
  private readonly md5: Hasher;
  private readonly checksum: Hasher | null;
  readonly algorithm: ChecksumAlgorithm | null;
  private readonly expectedMd5: string | null;
  private readonly expected: string | null;
  private readonly fromTrailer: boolean;

  /** `fallback`: the algorithm to compute when the request names none (a multipart upload's). */
  constructor(headers: Headers, digests: Digests, fallback: ChecksumAlgorithm | null = null) {
    this.md5 = digests.createHash('md5');
    const contentMd5 = headers.get('content-md5');
    if (contentMd5 !== null) {
      const bytes = fromBase64(contentMd5.trim());
      if (!bytes || bytes.length !== 16) throw new S3Error('InvalidDigest');
      this.expectedMd5 = toBase64(bytes);
    } else this.expectedMd5 = null;

    const sent = CHECKSUM_ALGORITHMS.filter((a) => headers.has(checksumHeader(a)));
    if (sent.length > 1)
      throw new S3Error(
        'InvalidRequest',
        'Expecting a single x-amz-checksum- header. Multiple checksum types are not allowed.',
      );
    const trailer = (headers.get('x-amz-trailer') ?? '').trim().toLowerCase();
    const trailerAlg = trailer.startsWith('x-amz-checksum-')
      ? trailer.slice('x-amz-checksum-'.length).toUpperCase()
      : null;
    if (trailer && (!trailerAlg || !isChecksumAlgorithm(trailerAlg))) {
      throw new S3Error('InvalidRequest', `The trailer "${trailer}" is not a supported checksum.`);
    }
    const requested = (
      headers.get('x-amz-sdk-checksum-algorithm') ??
      headers.get('x-amz-checksum-algorithm') ??
      ''
    ).toUpperCase();
    if (requested && !isChecksumAlgorithm(requested)) {
      throw new S3Error(
        'InvalidRequest',
        `Checksum algorithm "${requested}" is not supported; use one of ${CHECKSUM_ALGORITHMS.join(', ')}.`,
      );
    }
    const alg =
      sent[0] ??
      (trailerAlg as ChecksumAlgorithm | null) ??
      ((requested || null) as ChecksumAlgorithm | null) ??
      fallback;
    if (alg && requested && alg !== requested) {
      throw new S3Error(
        'InvalidRequest',
        `x-amz-checksum-algorithm says ${requested} but the checksum sent is ${alg}.`,
      );
    }
    if (fallback && alg !== fallback) {
      throw new S3Error(
        'InvalidRequest',
        `This multipart upload uses ${fallback} checksums; a part cannot send ${alg}.`,
      );
    }
    this.algorithm = alg;
    this.fromTrailer = !sent[0] && !!trailerAlg;
    this.expected = sent[0] ? headers.get(checksumHeader(sent[0]))!.trim() : null;
    if (this.expected !== null && alg) this.checkShape(alg, this.expected);
    this.checksum = alg ? createChecksum(alg, digests) : null;
  }

  private checkShape(alg: ChecksumAlgorithm, value: string) {
    const bytes = fromBase64(value);
    if (!bytes || bytes.length !== CHECKSUM_LENGTH[alg]) {
      throw new S3Error('InvalidRequest', `Value for ${checksumHeader(alg)} header is invalid.`);
    }
  }

  update(piece: Uint8Array): void {
    this.md5.update(piece);
    this.checksum?.update(piece);
  }

  /** Call after the last byte: checks what the client sent; returns the MD5 (hex) and checksum. */
  verify(trailers: Map<string, string>): { md5Hex: string; checksum: ComputedChecksum | null } {
    const md5 = this.md5.digest();
    if (this.expectedMd5 !== null && toBase64(md5) !== this.expectedMd5)
      throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.');
    let checksum: ComputedChecksum | null = null;
    if (this.checksum && this.algorithm) {
      const value = toBase64(this.checksum.digest());
      let expected = this.expected;
      if (this.fromTrailer) {
        expected = trailers.get(checksumHeader(this.algorithm)) ?? null;
        if (expected === null)
          throw new S3Error(
            'InvalidRequest',
            `The ${checksumHeader(this.algorithm)} trailer announced in x-amz-trailer was not sent.`,
          );
        this.checkShape(this.algorithm, expected);
      }
      if (expected !== null && expected !== value) {
        throw new S3Error(
          'BadDigest',
          `The ${this.algorithm} you specified did not match the calculated checksum.`,
        );
      }
      checksum = { algorithm: this.algorithm, value };
    }
    return { md5Hex: toHex(md5), checksum };
  }
}
