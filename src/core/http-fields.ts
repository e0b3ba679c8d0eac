/**
 * What an HTTP header may carry, on every runtime we answer from. Invariant: a value that passes
 * `isFieldValue` can be set on a response on Node, Deno and workerd alike, so every value a client
 * hands us to echo later as a header is checked with it on the way in (InvalidArgument), and values
 * stored before that check are made safe (or dropped) on the way out.
 *
 * The rule is RFC 9110's field-value characters: HTAB, SP, visible ASCII and obs-text (0x80-0xFF).
 * Node's ServerResponse refuses every other C0 control and DEL (ERR_INVALID_CHAR, a 500 after the
 * handler has run); fetch's Headers refuse NUL, CR, LF and anything past U+00FF (a TypeError);
 * Deno 2.9's HTTP/1 writer panics on a control character or DEL, taking the whole process down.
 * Latin-1 high bytes pass everywhere, so they are left alone (boto3 sends user metadata that way).
 */
import { S3Error } from './errors.ts';

const NOT_FIELD_CHAR = /[^\t\x20-\x7e\x80-\xff]/;
const CONTROL_CHAR = /[\x00-\x08\x0a-\x1f\x7f]/;
const BEYOND_LATIN1 = /[^\x00-\xff]/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function isFieldValue(v: string): boolean {
  return !NOT_FIELD_CHAR.test(v);
}

/** A header name (RFC 9110 token). */
export function isFieldName(name: string): boolean {
  return TOKEN.test(name);
}

/** Text as header bytes: what is beyond Latin-1 becomes its UTF-8 bytes, one character per byte. */
export function textAsLatin1(v: string): string {
  if (!BEYOND_LATIN1.test(v)) return v;
  const bytes = new TextEncoder().encode(v);
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

/** Whether text can become a header through `fieldValueOf` (it holds no control characters). */
export function isFieldText(text: string): boolean {
  return !CONTROL_CHAR.test(text);
}

/**
 * A value a client gave as text (a form field, a query parameter) as the header it becomes: text
 * beyond Latin-1 (a Cyrillic file name) as its UTF-8 bytes, which is what a client sending it raw puts
 * on the wire and what browsers read back. Control characters cannot be carried and are refused.
 */
export function fieldValueOf(name: string, text: string): string {
  if (!isFieldText(text)) {
    const why = `${name} cannot contain control characters or line breaks.`;
    throw new S3Error('InvalidArgument', why, { fields: { ArgumentName: name } });
  }
  return textAsLatin1(text);
}

/** Refuses a value no response could carry (a request header, on a runtime that lets one in). */
export function checkFieldValue(name: string, value: string): string {
  if (!isFieldValue(value)) {
    const why = `${name} holds characters an HTTP header cannot carry.`;
    throw new S3Error('InvalidArgument', why, { fields: { ArgumentName: name } });
  }
  return value;
}

/**
 * A value stored before values were checked on the way in, as it can be sent: beyond Latin-1 as
 * UTF-8 bytes; null (leave the header out) when it holds control characters. Serving the object
 * without that header beats failing every read of it.
 */
export function storedFieldValue(v: string | null): string | null {
  if (v === null || isFieldValue(v)) return v;
  const encoded = textAsLatin1(v);
  return isFieldValue(encoded) ? encoded : null;
}

/** A URL as a Location header: all but visible ASCII percent-encoded as UTF-8, as browsers send URLs. */
export function locationValue(url: string): string {
  const escape = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
  return textAsLatin1(url).replace(/[^\x21-\x7e]/g, escape);
}
