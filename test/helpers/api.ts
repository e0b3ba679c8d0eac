/** Calls the JSON API (/admin/...) signed with SigV4, as `curl --aws-sigv4` or the console would. */
import { signedFetch } from './s3.ts';
import type { Creds } from './server.ts';

export function api(
  srv: { endpoint: string; creds: Creds },
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  const [p, q] = path.split('?') as [string, string | undefined];
  return signedFetch(srv.endpoint, srv.creds, {
    method,
    path: p,
    query: q ? Object.fromEntries(new URLSearchParams(q)) : undefined,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
