/**
 * `Expect: 100-continue` on the Node server: a PUT that will be refused is refused before the client
 * sends its body (no `100 Continue` first); one that is allowed gets its 100 and is stored.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3, signRequest, signedFetch } from './helpers/s3.ts';
import { type RunningServer, removeDir, startServer } from './helpers/server.ts';

let srv: RunningServer;
const B = 'continue';

beforeAll(async () => {
  srv = await startServer();
  await s3(srv.endpoint, srv.creds).send(new CreateBucketCommand({ Bucket: B }));
});
afterAll(async () => {
  await srv.stop();
  await removeDir(srv.dataDir);
});

/** Sends the headers, and the body only once the server says 100 Continue; what happened, in order. */
function putExpecting(path: string, headers: Record<string, string>, body: string) {
  const url = new URL(srv.endpoint);
  const events: string[] = [];
  return new Promise<{ events: string[]; status: number; text: string }>((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: 'PUT',
        path,
        headers: { ...headers, expect: '100-continue', 'content-length': String(body.length) },
      },
      (res) => {
        events.push(`response ${res.statusCode}`);
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ events, status: res.statusCode ?? 0, text }));
      },
    );
    req.on('continue', () => {
      events.push('continue');
      req.end(body);
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

describe('Expect: 100-continue', () => {
  it('refuses an anonymous PUT before its body is sent', async () => {
    const r = await putExpecting(`/${B}/nope.txt`, { 'content-type': 'text/plain' }, 'never sent');
    expect(r.events).toEqual(['response 403']);
    expect(r.text).toContain('<Code>AccessDenied</Code>');
  });

  it('refuses a bad signature before the body, and continues a good one', async () => {
    const body = 'sent after 100';
    const signed = await signRequest(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: `/${B}/ok.txt`,
      headers: { 'content-length': String(body.length) },
      payloadHash: 'UNSIGNED-PAYLOAD',
    });
    const bad = { ...signed.headers, authorization: signed.headers.authorization!.replace(/.{4}$/, '0000') };
    const refused = await putExpecting(`/${B}/ok.txt`, bad, body);
    expect(refused.events).toEqual(['response 403']);
    const ok = await putExpecting(`/${B}/ok.txt`, signed.headers, body);
    expect(ok.events).toEqual(['continue', 'response 200']);
    expect(await (await signedFetch(srv.endpoint, srv.creds, { path: `/${B}/ok.txt` })).text()).toBe(body);
  });
});
