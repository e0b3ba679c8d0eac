/**
 * A streaming multipart/form-data reader for browser uploads. Text fields before the file are
 * collected (bounded); the file part is handed over as a stream of its bytes, so a large upload never
 * sits in memory. As in S3, fields after the file are ignored.
 */
import { S3Error } from '../errors.ts';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export interface FormFile {
  filename: string;
  contentType: string | null;
  /** The file's bytes; iterate once. */
  body: AsyncIterable<Uint8Array>;
}

export interface ParsedForm {
  /** Field names lower-cased (S3 treats them case-insensitively); values as sent. */
  fields: Map<string, string>;
  file: FormFile | null;
}

function malformed(why: string): S3Error {
  return new S3Error(
    'MalformedPOSTRequest',
    `The body of your POST request is not well-formed multipart/form-data: ${why}.`,
  );
}

export function boundaryOf(contentType: string | null): string {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  const b = m?.[1] ?? m?.[2];
  if (!b || b.length > 70) throw malformed('no boundary');
  return b;
}

/** Index of `needle` in `hay` at or after `from`, or -1. */
function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0]!;
  for (
    let i = hay.indexOf(first, from);
    i >= 0 && i <= hay.length - needle.length;
    i = hay.indexOf(first, i + 1)
  ) {
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function parsePartHeaders(text: string): {
  name: string;
  filename: string | null;
  contentType: string | null;
} {
  let name: string | null = null;
  let filename: string | null = null;
  let contentType: string | null = null;
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const header = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (header === 'content-disposition') {
      name = /\bname="([^"]*)"/i.exec(value)?.[1] ?? /\bname=([^;\s]+)/i.exec(value)?.[1] ?? null;
      const fn = /\bfilename="([^"]*)"/i.exec(value)?.[1] ?? /\bfilename=([^;\s]+)/i.exec(value)?.[1];
      filename = fn === undefined ? null : fn;
    } else if (header === 'content-type') contentType = value;
  }
  if (name === null) throw malformed('a part has no name');
  return { name, filename, contentType };
}

/**
 * Reads fields until the `file` part, then returns with the file's byte stream ready to be consumed.
 * `maxFieldBytes` bounds what may precede the file.
 */
export async function readForm(
  source: AsyncIterable<Uint8Array>,
  boundary: string,
  maxFieldBytes = 20 * 1024,
): Promise<ParsedForm> {
  const it = source[Symbol.asyncIterator]();
  try {
    return await parseForm(it, boundary, maxFieldBytes);
  } catch (e) {
    await it.return?.(); // (a refusal stops the body's reader: the rest is the runtime's to drain)
    throw e;
  }
}

async function parseForm(
  it: AsyncIterator<Uint8Array>,
  boundary: string,
  maxFieldBytes: number,
): Promise<ParsedForm> {
  let buf: Uint8Array = new Uint8Array(0);
  let ended = false;
  let consumed = 0;
  const more = async (): Promise<boolean> => {
    if (ended) return false;
    const r = await it.next();
    if (r.done) {
      ended = true;
      return false;
    }
    buf = concat(buf, r.value);
    return true;
  };
  const delimiter = encoder.encode(`\r\n--${boundary}`);
  const opening = encoder.encode(`--${boundary}`);

  // preamble up to the first boundary
  for (;;) {
    const at = indexOf(buf, opening);
    if (at >= 0) {
      buf = buf.subarray(at + opening.length);
      break;
    }
    if (buf.length > maxFieldBytes) throw malformed('no opening boundary');
    if (!(await more())) throw malformed('no opening boundary');
  }

  const fields = new Map<string, string>();
  for (;;) {
    // after a boundary: "--" ends the form, CRLF starts a part
    while (buf.length < 2) if (!(await more())) throw malformed('truncated');
    if (buf[0] === 0x2d && buf[1] === 0x2d) return { fields, file: null };
    if (buf[0] !== 0x0d || buf[1] !== 0x0a) throw malformed('bad boundary line');
    buf = buf.subarray(2);
    let headerEnd: number;
    while ((headerEnd = indexOf(buf, encoder.encode('\r\n\r\n'))) < 0) {
      if (buf.length > 8192) throw malformed('part headers too long');
      if (!(await more())) throw malformed('truncated part headers');
    }
    const head = parsePartHeaders(decoder.decode(buf.subarray(0, headerEnd)));
    buf = buf.subarray(headerEnd + 4);
    if (head.name.toLowerCase() === 'file') {
      const rest = buf;
      return {
        fields,
        file: { filename: head.filename ?? '', contentType: head.contentType, body: fileBody(rest) },
      };
    }
    let end: number;
    while ((end = indexOf(buf, delimiter)) < 0) {
      if (consumed + buf.length > maxFieldBytes) throw new S3Error('MaxPostPreDataLengthExceeded');
      if (!(await more())) throw malformed('truncated field');
    }
    consumed += end;
    if (consumed > maxFieldBytes) throw new S3Error('MaxPostPreDataLengthExceeded');
    fields.set(head.name.toLowerCase(), decoder.decode(buf.subarray(0, end)));
    buf = buf.subarray(end + delimiter.length);
  }

  /** The file's bytes: everything up to the next delimiter; what follows it is ignored. */
  async function* fileBody(start: Uint8Array): AsyncGenerator<Uint8Array> {
    try {
      let pending = start;
      for (;;) {
        const at = indexOf(pending, delimiter);
        if (at >= 0) {
          if (at > 0) yield pending.subarray(0, at);
          while (await more()) buf = new Uint8Array(0); // drain what follows, unread
          return;
        }
        // keep a tail that could be the start of a delimiter split across reads
        const keep = Math.min(pending.length, delimiter.length - 1);
        if (pending.length > keep) yield pending.subarray(0, pending.length - keep);
        const tail = pending.subarray(pending.length - keep);
        buf = new Uint8Array(0);
        if (!(await more())) throw malformed('the file part is not terminated');
        pending = concat(tail, buf);
      }
    } finally {
      await it.return?.(); // (the file left part-way stops the body's reader too)
    }
  }
}
