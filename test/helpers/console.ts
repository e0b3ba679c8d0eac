/** A console session opened with a server's root credentials, as a form post does it. */
import { expect } from 'vitest';
import type { Creds } from './server.ts';

/** Signs in and returns the session cookie and the CSRF token the console's pages carry. */
export async function consoleSession(srv: {
  endpoint: string;
  creds: Creds;
}): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${srv.endpoint}/console/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams({ ...srv.creds }),
  });
  expect(res.status).toBe(303);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const page = await (await fetch(`${srv.endpoint}/console`, { headers: { cookie } })).text();
  return { cookie, csrf: /name="csrf-token" content="([^"]+)"/.exec(page)![1]! };
}
