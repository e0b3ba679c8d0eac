/**
 * Shared pieces of the fuzz suite (test/fuzz-*.test.ts): hostile values, how a run is seeded and
 * sized, and what every answer must look like. Runs are seeded (QOIMA_FUZZ_SEED, else a fixed seed)
 * so a failure replays exactly; QOIMA_FUZZ_RUNS scales the number of cases (default 1).
 */
import fc from 'fast-check';
import { expect } from 'vitest';

export const FUZZ_SEED = Number(process.env.QOIMA_FUZZ_SEED ?? 20261202);
const SCALE = Number(process.env.QOIMA_FUZZ_RUNS ?? 1);

/**
 * fc.assert with the suite's seed; on failure the seed, fast-check's replay path and the
 * counterexample are printed (fast-check's message carries them too).
 */
export async function fuzz<T>(
  name: string,
  arb: fc.Arbitrary<T>,
  numRuns: number,
  check: (value: T) => Promise<void>,
): Promise<void> {
  try {
    await fc.assert(fc.asyncProperty(arb, check), {
      seed: FUZZ_SEED,
      numRuns: Math.max(1, Math.round(numRuns * SCALE)),
    });
  } catch (e) {
    const replay = `QOIMA_FUZZ_SEED=${FUZZ_SEED} npx vitest run <this file>`;
    console.error(
      `fuzz "${name}" failed with seed ${FUZZ_SEED} (replay: ${replay})\n${String(e).slice(0, 4000)}`,
    );
    throw e;
  }
}

/** Characters that break parsers: controls, Latin-1 high bytes, beyond Latin-1, lone surrogates, syntax. */
const NASTY_CHARS = [
  '\0',
  '\x01',
  '\x07',
  '\b',
  '\t',
  '\n',
  '\v',
  '\f',
  '\r',
  '\x1b',
  '\x7f',
  '\x80',
  '\x85',
  '\xa0',
  '\xe9',
  '\xff',
  'Ā',
  'я',
  '€',
  '\u2028',
  '\ufeff',
  '\uffff',
  '\ud800',
  '\udfff',
  '😀',
  ' ',
  '%',
  '+',
  '&',
  '=',
  '?',
  '/',
  '\\',
  '"',
  "'",
  '<',
  '>',
  '$',
  '{',
  '}',
  '*',
  ',',
  ';',
  ':',
  '@',
  '.',
  '#',
  '-',
  '[',
  ']',
];

const nastyChar = fc.constantFrom(...NASTY_CHARS);
const anyChar = fc.oneof(
  { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: nastyChar },
);

/** Values known to trip servers. */
const KNOWN = [
  '',
  ' ',
  '.',
  '..',
  '../..',
  '/',
  '//',
  '%',
  '%zz',
  '%00',
  '%ED%A0%80',
  '%C0%AF',
  '${filename}',
  '*',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'a@b.c',
  'bytes=0-0',
  'bytes=-1',
  '"etag"',
  'W/"x"',
  '1e999',
  '-1',
  '99999999999999999999',
  'NaN',
  '<a>',
  '&amp;',
  '&#0;',
  '&#xD800;',
  ']]>',
  '\r\nx-injected: 1',
  'Mon, 01 Jan 2024 00:00:00 GMT',
  'text/plain; charset=utf-8',
];

/**
 * Hostile text up to `max` characters: short junk, known trouble, and long runs of a short pattern
 * (what makes a backtracking pattern or a quadratic loop show its cost).
 */
export function hostileText(max = 16_000): fc.Arbitrary<string> {
  const runs = fc
    .tuple(
      fc.string({ unit: anyChar, maxLength: 3 }),
      fc.string({ unit: anyChar, minLength: 1, maxLength: 4 }),
      fc.integer({ min: 64, max: Math.max(64, max) }),
      fc.string({ unit: anyChar, maxLength: 3 }),
    )
    .map(([pre, pattern, n, post]) =>
      (pre + pattern.repeat(Math.ceil(n / pattern.length)) + post).slice(0, max),
    );
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: anyChar, maxLength: 40 }) },
    { weight: 2, arbitrary: fc.constantFrom(...KNOWN) },
    { weight: 2, arbitrary: runs },
  );
}

/**
 * Text a client can put in an HTTP header at all (fetch and Node's parser refuse the rest before we
 * see it): HTAB, SP, visible ASCII and Latin-1 high bytes.
 */
export function headerText(max = 8_000): fc.Arbitrary<string> {
  return hostileText(max).map((s) => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '').trim());
}

/** A header name (token) for x-amz-meta-* and friends. */
export const tokenText = fc.string({
  unit: fc.constantFrom(..."abcxyz0129-_.!#$%&'*+^`|~"),
  minLength: 1,
  maxLength: 20,
});

/** A request target's piece as a client would send it: percent-encoded UTF-8 (or raw junk escapes). */
export function encodedPiece(text: string): string {
  const unreserved = /^[A-Za-z0-9\-._~]$/;
  const escape = (b: number) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  const piece = (b: number) => (unreserved.test(String.fromCharCode(b)) ? String.fromCharCode(b) : escape(b));
  return Array.from(new TextEncoder().encode(text), piece).join('');
}

const STACK = /\n\s+at [^\n]+[(:]\d+|node:internal|\bTypeError\b|\bRangeError\b|ERR_[A-Z_]+/;

/**
 * What every answer to hostile input must be: below 500 (or S3's 501 for a feature not offered),
 * an error in S3's shape (XML, or JSON from /admin, HTML from the console and websites), no stack
 * trace. Resolves with the body text.
 */
export async function expectSane(res: Response, context: string): Promise<string> {
  const body = await res.text();
  const where = `${context} → ${res.status} ${body.slice(0, 300)}`;
  // (501 NotImplemented is S3's answer for a feature not offered; a HEAD carries no body to say so)
  const notImplemented = res.status === 501 && (body === '' || body.includes('<Code>NotImplemented</Code>'));
  expect(res.status < 500 || notImplemented, where).toBe(true);
  expect(STACK.test(body), `a stack trace or internal error text in ${where}`).toBe(false);
  if (res.status >= 400 && body !== '') {
    const type = res.headers.get('content-type') ?? '';
    if (type.includes('xml')) expect(body, where).toMatch(/<Error><Code>[A-Za-z]+<\/Code><Message>/);
    else if (type.includes('json'))
      expect(JSON.parse(body).error?.code ?? JSON.parse(body).error?.message, where).toBeTruthy();
    else expect(type, where).toMatch(/html/);
  }
  return body;
}
