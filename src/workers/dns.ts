/** TXT lookups for domain ownership checks on Workers, which have no resolver: DNS over HTTPS (JSON). */
import type { TxtLookup } from '../core/model/domains.ts';

export function dohTxtLookup(endpoint: string): TxtLookup {
  return async (name) => {
    const url = `${endpoint}?name=${encodeURIComponent(name)}&type=TXT`;
    const res = await fetch(url, { headers: { accept: 'application/dns-json' } });
    if (!res.ok) throw new Error(`DNS over HTTPS answered ${res.status}`);
    const body = (await res.json()) as { Status: number; Answer?: { type: number; data: string }[] };
    if (body.Status === 3) return []; // NXDOMAIN
    // TXT data comes quoted, long records as several quoted strings
    return (body.Answer ?? []).filter((a) => a.type === 16).map((a) => [...a.data.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1')).join(''));
  };
}
