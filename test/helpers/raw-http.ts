/**
 * Requests exactly as written: the target is sent byte for byte (fetch would resolve `..` and
 * re-encode), optionally signed with SigV4 over that raw path. Answers come back as a fetch Response.
 */
import { HttpRequest } from '@smithy/protocol-http';
import { request } from 'node:http';
import { signer } from './s3.ts';
import type { Creds } from './server.ts';

export interface RawSend {
  method?: string;
  /** Path as sent, already percent-encoded (or deliberately not). */
  path: string;
  /** Query parameters (decoded); encoded here as SigV4 encodes them. */
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** Lone surrogates as U+FFFD: what any client's UTF-8 encoder sends for them. */
export function wellFormed(s: string): string {
  return new TextDecoder().decode(new TextEncoder().encode(s));
}

const NULL_BODY = new Set([101, 204, 205, 304]);

export async function rawRequest(endpoint: string, creds: Creds | null, r: RawSend): Promise<Response> {
  const url = new URL(endpoint);
  const query = Object.fromEntries(
    Object.entries(r.query ?? {}).map(([k, v]) => [wellFormed(k), wellFormed(v)]),
  );
  let req = new HttpRequest({
    method: r.method ?? 'GET',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: r.path,
    query,
    headers: { host: url.host, ...(r.headers ?? {}) },
    body: r.body,
  });
  if (creds) req = (await signer(creds).sign(req)) as HttpRequest;
  const qs = Object.entries(req.query as Record<string, string>)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body ? Buffer.from(r.body) : undefined;
  const headers: Record<string, string> = { ...(req.headers as Record<string, string>) };
  if (body) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const out = request(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: `${r.path}${qs ? `?${qs}` : ''}`,
        headers,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers))
            if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
          const status = res.statusCode ?? 0;
          resolve(new Response(NULL_BODY.has(status) ? null : Buffer.concat(parts), { status, headers: h }));
        });
        res.on('error', reject);
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}
