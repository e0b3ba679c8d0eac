/** TXT lookups for domain ownership checks on Workers, which have no resolver: DNS over HTTPS (JSON). */
import type { TxtLookup } from '../core/model/domains.ts';

export function dohTxtLookup(endpoint: string): TxtLookup {
  return async (name) => {
    const url = `${endpoint}?name=${encodeURIComponent(name)}&type=TXT`;
    const res = await fetch(url, { headers: { accept: 'application/dns-json' } });
    if (!res.ok) throw new Error(`DNS over HTTPS answered ${res.status}`);
    const body = (await res.json()) as { Status: number; Answer?: { type: number; data: string }[] };
    if (body.Status === 3) return []; // NXDOMAIN
    return (body.Answer ?? []).filter((a) => a.type === 16).map((a) => unquote(a.data));
  };
}

/**
 * TXT data as DoH JSON gives it: quoted strings (long records as several), `\` escaping the next
 * character; text outside quotes and an unterminated string are dropped. One pass: the domain's owner
 * writes this text, and a backtracking pattern over `"\"\"\"...` would take quadratic time.
 */
export function unquote(data: string): string {
  let out = '';
  let piece = '';
  let quoted = false;
  for (let i = 0; i < data.length; i++) {
    const ch = data[i]!;
    if (!quoted) quoted = ch === '"';
    else if (ch === '\\' && i + 1 < data.length) piece += data[++i];
    else if (ch === '"') {
      out += piece;
      piece = '';
      quoted = false;
    } else piece += ch;
  }
  return out;
}
