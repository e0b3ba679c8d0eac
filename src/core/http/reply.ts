/**
 * A response not made yet: a status, header fields in a plain record, a body. An object read (GET,
 * HEAD, a website's page) answers with one, each later step (CORS, the sandbox policy, the request id)
 * adds its fields to the record, and the app makes the Response once, at the end (`toResponse`). So
 * the hottest path never goes through a `Headers` object, whose every call validates, lower-cases and
 * re-sorts (undici's: about a seventh of the instructions of an anonymous 4 KiB GET, callgrind), and
 * the Node adapter writes the record as it is.
 *
 * Invariants: names are stored lower-case; values are valid field values already (an object's stored
 * fields pass storedFieldValue on the way out, the rest are the service's own), since nothing here
 * validates them again; `append` joins with ", " as `Headers` does.
 */
import { utf8 } from '../digests.ts';

/** What the steps after a handler use of a response's fields: `Headers` and `Fields` both are one. */
export interface FieldWriter {
  get(name: string): string | null;
  has(name: string): boolean;
  set(name: string, value: string): void;
  append(name: string, value: string): void;
  delete(name: string): void;
}

export class Fields implements FieldWriter {
  readonly record: Record<string, string> = {};

  get(name: string): string | null {
    return this.record[name.toLowerCase()] ?? null;
  }

  has(name: string): boolean {
    return this.record[name.toLowerCase()] !== undefined;
  }

  set(name: string, value: string): void {
    this.record[name.toLowerCase()] = value;
  }

  append(name: string, value: string): void {
    const key = name.toLowerCase();
    const had = this.record[key];
    this.record[key] = had === undefined ? value : `${had}, ${value}`;
  }

  delete(name: string): void {
    delete this.record[name.toLowerCase()];
  }
}

export type ReplyBody = Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | null;

export class Reply {
  constructor(
    readonly status: number,
    readonly body: ReplyBody,
    readonly headers: Fields = new Fields(),
  ) {}
}

/**
 * A document sent whole: its UTF-8 bytes, with `contentType`, then `headers`, then its Content-Length,
 * so the adapter writes it in one go (a Response of text takes Node's stream path, chunked).
 */
export function textReply(
  status: number,
  text: string,
  contentType: string,
  headers: Record<string, string> = {},
): Reply {
  const body = utf8(text) as Uint8Array<ArrayBuffer>;
  const fields = new Fields();
  fields.set('content-type', contentType);
  for (const [name, value] of Object.entries(headers)) fields.set(name, value);
  fields.set('content-length', String(body.byteLength));
  return new Reply(status, body, fields);
}

/** A handler's or step's answer: a Response made already, or a Reply still taking fields. */
export type Outgoing = Response | Reply;

/** The Response to send; `body`: a stream to send instead of the answer's own (counting it as it goes). */
export function toResponse(out: Outgoing, body?: ReadableStream<Uint8Array>): Response {
  if (out instanceof Reply)
    return new Response(body ?? out.body, { status: out.status, headers: out.headers.record });
  if (!body) return out;
  return new Response(body, { status: out.status, statusText: out.statusText, headers: out.headers });
}

/** The body as a stream, if it is one (a body of bytes in memory needs no cancelling). */
export function bodyStream(out: Outgoing): ReadableStream<Uint8Array> | null {
  return out.body instanceof ReadableStream ? out.body : null;
}
