/**
 * Plain HTTP requests with any Host header (fetch may not set Host) and from any local address:
 * virtual hosts, websites, custom domains, several clients.
 */
import { request } from 'node:http';

export interface HostResponse {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

export function hostRequest(
  port: number,
  host: string,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {},
): Promise<HostResponse> {
  return new Promise((resolve, reject) => {
    const length = opts.body !== undefined ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {};
    request(
      {
        host: '127.0.0.1',
        port,
        path,
        localAddress: opts.localAddress,
        method: opts.method ?? 'GET',
        headers: { host, ...length, ...(opts.headers ?? {}) },
      },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    )
      .on('error', reject)
      .end(opts.body);
  });
}
