/**
 * Decoding `Content-Encoding: aws-chunked` bodies, as current AWS SDKs and aws-cli send them:
 *
 *   <hex size>[;chunk-signature=<sig>]\r\n<data>\r\n ... 0[;chunk-signature=<sig>]\r\n<trailers>\r\n
 *
 * With STREAMING-AWS4-HMAC-SHA256-PAYLOAD every chunk signature is checked (each chains to the previous
 * one, the first to the request's seed signature); with the -TRAILER variants the trailer headers (the
 * x-amz-checksum-* value computed while sending) follow the last chunk, and are signed in the signed
 * variant. https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 */
import { S3Error } from '../errors.ts';
import { type Digests, timingSafeEqual, toHex } from '../digests.ts';
import { ALGORITHM, EMPTY_SHA256, type Scope, scopeString, sign } from './sigv4.ts';

export interface ChunkSigning {
  digests: Digests;
  key: Uint8Array;
  amzDate: string;
  scope: Scope;
  seedSignature: string;
  /** The trailer is signed too (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER). */
  signedTrailer: boolean;
}

const MAX_LINE = 8192;
const CRLF = [13, 10] as const;
const decoder = new TextDecoder();

/** A queue of received pieces, consumed from the front without copying data bytes. */
class Pending {
  private pieces: Uint8Array[] = [];
  length = 0;
  push(p: Uint8Array) {
    if (p.length) {
      this.pieces.push(p);
      this.length += p.length;
    }
  }
  /** Index of CRLF within the first `limit` bytes, or -1. */
  indexOfCrlf(limit: number): number {
    let pos = 0;
    let prev = -1;
    for (const p of this.pieces) {
      for (let i = 0; i < p.length; i++, pos++) {
        if (pos >= limit) return -1;
        if (prev === CRLF[0] && p[i] === CRLF[1]) return pos - 1;
        prev = p[i]!;
      }
    }
    return -1;
  }
  /** Removes and returns up to n bytes as a list of views. */
  take(n: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (n > 0 && this.pieces.length) {
      const p = this.pieces[0]!;
      if (p.length <= n) {
        out.push(p);
        this.pieces.shift();
        n -= p.length;
        this.length -= p.length;
      } else {
        out.push(p.subarray(0, n));
        this.pieces[0] = p.subarray(n);
        this.length -= n;
        n = 0;
      }
    }
    return out;
  }
  takeText(n: number): string {
    const parts = this.take(n);
    return parts.map((p) => decoder.decode(p, { stream: true })).join('') + decoder.decode();
  }
}

function malformed(why: string): S3Error {
  return new S3Error('InvalidRequest', `Malformed aws-chunked body: ${why}.`);
}

/**
 * Yields the decoded payload. `trailers` receives the trailer headers (lower-cased names) once the
 * body has been read completely and every signature has been checked.
 */
export async function* decodeAwsChunked(
  source: AsyncIterable<Uint8Array>,
  signing: ChunkSigning | null,
  trailers: Map<string, string>,
): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  try {
    yield* decodeFrom(it, signing, trailers);
  } finally {
    // (a refusal part-way stops the body's reader: the rest is the runtime's to drain)
    await it.return?.();
  }
}

async function* decodeFrom(
  it: AsyncIterator<Uint8Array>,
  signing: ChunkSigning | null,
  trailers: Map<string, string>,
): AsyncGenerator<Uint8Array> {
  const pending = new Pending();
  let done = false;
  const fill = async (): Promise<boolean> => {
    if (done) return false;
    const r = await it.next();
    if (r.done) {
      done = true;
      return false;
    }
    pending.push(r.value);
    return true;
  };
  const readLine = async (): Promise<string | null> => {
    for (;;) {
      const at = pending.indexOfCrlf(MAX_LINE);
      if (at >= 0) {
        const line = pending.takeText(at);
        pending.take(2);
        return line;
      }
      if (pending.length >= MAX_LINE) throw malformed('line too long');
      if (!(await fill())) return null;
    }
  };

  let prevSignature = signing?.seedSignature ?? '';
  for (;;) {
    const header = await readLine();
    if (header === null) throw new S3Error('IncompleteBody');
    const [sizeText = '', ...exts] = header.split(';');
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText.trim())) throw malformed('bad chunk size');
    const size = parseInt(sizeText.trim(), 16);
    const sigExt = exts.find((e) => e.trim().startsWith('chunk-signature='));
    const chunkSig = sigExt?.trim().slice('chunk-signature='.length);
    if (signing && !chunkSig)
      throw new S3Error('SignatureDoesNotMatch', 'A chunk of the streamed body carries no signature.');
    const hasher = signing ? signing.digests.createHash('sha256') : null;
    let left = size;
    while (left > 0) {
      if (pending.length === 0 && !(await fill())) throw new S3Error('IncompleteBody');
      for (const part of pending.take(left)) {
        left -= part.length;
        hasher?.update(part);
        yield part;
      }
    }
    if (signing && hasher && chunkSig !== undefined) {
      const toSign = [
        `${ALGORITHM}-PAYLOAD`,
        signing.amzDate,
        scopeString(signing.scope),
        prevSignature,
        EMPTY_SHA256,
        toHex(hasher.digest()),
      ].join('\n');
      const expected = sign(signing.digests, signing.key, toSign);
      if (!timingSafeEqual(expected, chunkSig))
        throw new S3Error('SignatureDoesNotMatch', 'A chunk signature of the streamed body does not match.');
      prevSignature = expected;
    }
    if (size === 0) break;
    while (pending.length < 2) if (!(await fill())) throw new S3Error('IncompleteBody');
    if (pending.takeText(2) !== '\r\n') throw malformed('chunk data not followed by CRLF');
  }

  // Trailer section: header lines until an empty line or the end of the body.
  let trailerText = '';
  let trailerSignature: string | undefined;
  for (;;) {
    const line = await readLine();
    if (line === null || line === '') {
      if (line === null && pending.length) {
        const rest = pending.takeText(pending.length).trim();
        if (rest) throw malformed('unterminated trailer');
      }
      break;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed('bad trailer line');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature') trailerSignature = value;
    else {
      trailers.set(name, value);
      trailerText += `${name}:${value}\n`;
    }
  }
  if (signing?.signedTrailer) {
    if (!trailerSignature)
      throw new S3Error('SignatureDoesNotMatch', 'The trailer of the streamed body carries no signature.');
    const h = signing.digests.createHash('sha256');
    h.update(trailerText);
    const toSign = [
      `${ALGORITHM}-TRAILER`,
      signing.amzDate,
      scopeString(signing.scope),
      prevSignature,
      toHex(h.digest()),
    ].join('\n');
    if (!timingSafeEqual(sign(signing.digests, signing.key, toSign), trailerSignature)) {
      throw new S3Error(
        'SignatureDoesNotMatch',
        'The trailer signature of the streamed body does not match.',
      );
    }
  }
  // read the source to its end: nothing may follow, and a check wrapped around it (a signed payload
  // hash) only runs once it is exhausted
  while (await fill()) {
    if (pending.takeText(pending.length).trim()) throw malformed('data after the last chunk');
  }
}
