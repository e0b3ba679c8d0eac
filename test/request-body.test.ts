/**
 * Request bodies on the Node server, read as the pieces Node hands over (src/node/request-body.ts):
 * a large body arrives whole and in order, with or without `Expect: 100-continue`, and a body refused
 * part-way leaves its keep-alive connection to the client's next request.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { type Socket, connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { logRows } from './helpers/db.ts';
import { serverPerFile, signRequest, signedFetch } from './helpers/s3.ts';
import type { RunningServer } from './helpers/server.ts';

let srv: RunningServer;
const B = 'bodies';
const MiB = 1024 * 1024;

serverPerFile([B], (s) => (srv = s.srv), { env: { QOIMA_BODY_IDLE_SECONDS: '1' } });

interface Sent {
  status: number;
  text: string;
  reusedSocket: boolean;
  continued: boolean;
}

/** A PUT of `body` with signed headers; with `expect`, the body goes only after 100 Continue. */
async function put(
  agent: Agent,
  key: string,
  body: Buffer,
  extra: Record<string, string> = {},
  wait = false,
) {
  const signed = await signRequest(srv.endpoint, srv.creds, {
    method: 'PUT',
    path: `/${B}/${key}`,
    headers: { 'content-length': String(body.length), ...extra },
    payloadHash: extra['x-amz-content-sha256'] ? undefined : 'UNSIGNED-PAYLOAD',
  });
  const url = new URL(signed.url);
  const headers: Record<string, string> = { ...signed.headers, ...(wait ? { expect: '100-continue' } : {}) };
  return new Promise<Sent>((resolve, reject) => {
    let continued = false;
    const req = request(
      { agent, host: url.hostname, port: url.port, method: 'PUT', path: url.pathname, headers },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text, reusedSocket: req.reusedSocket, continued }),
        );
      },
    );
    req.on('error', reject);
    if (wait) {
      req.on('continue', () => {
        continued = true;
        req.end(body);
      });
      req.flushHeaders();
    } else req.end(body);
  });
}

/** A raw connection that sends a signed PUT declaring `declared` bytes, and `sent` of them. */
async function partPut(key: string, declared: number, sent: number): Promise<Socket> {
  const signed = await signRequest(srv.endpoint, srv.creds, {
    method: 'PUT',
    path: `/${B}/${key}`,
    headers: { 'content-length': String(declared) },
    payloadHash: 'UNSIGNED-PAYLOAD',
  });
  const url = new URL(signed.url);
  const head = Object.entries({ host: url.host, ...signed.headers }).map(([k, v]) => `${k}: ${v}\r\n`);
  const sock = connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve) => sock.once('connect', resolve));
  sock.write(`PUT ${url.pathname} HTTP/1.1\r\n${head.join('')}\r\n`);
  await new Promise<void>((resolve) => sock.write(randomBytes(sent), () => resolve()));
  return sock;
}

const read = async (key: string) =>
  Buffer.from(await (await signedFetch(srv.endpoint, srv.creds, { path: `/${B}/${key}` })).arrayBuffer());

describe('request bodies on Node', () => {
  it('a 24 MiB body arrives whole, with and without 100-continue', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const body = randomBytes(24 * MiB);
    expect((await put(agent, 'plain.bin', body)).status).toBe(200);
    const waited = await put(agent, 'waited.bin', body, {}, true);
    expect(waited).toMatchObject({ status: 200, continued: true });
    expect(Buffer.compare(await read('plain.bin'), body)).toBe(0);
    expect(Buffer.compare(await read('waited.bin'), body)).toBe(0);
    agent.destroy();
  });

  it('an upload whose client goes away part-way stores nothing and is logged as its doing', async () => {
    // 5 MiB of the 8 declared: more than one 4 MiB chunk is stored before the client is gone
    const sock = await partPut('cut.bin', 8 * MiB, 5 * MiB);
    sock.destroy();
    const agent = new Agent({ keepAlive: true });
    expect((await put(agent, 'after-cut.bin', Buffer.from('still here'))).status).toBe(200);
    expect((await signedFetch(srv.endpoint, srv.creds, { path: `/${B}/cut.bin` })).status).toBe(404);
    agent.destroy();
    // the client's doing, not the service's: a 400 in the request log (batched: polled), no internal error
    await expect
      .poll(async () => (await logRows(srv.dataDir, "key = 'cut.bin' and operation = 'PutObject'"))[0], {
        timeout: 15_000,
      })
      .toMatchObject({ status: 400, error_code: 'IncompleteBody' });
    expect(srv.output()).not.toContain('internal error');
  });

  it('an upload that stops sending is refused with RequestTimeout once the body idles', async () => {
    // (this file's server: QOIMA_BODY_IDLE_SECONDS=1)
    const sock = await partPut('stalled.bin', 4 * MiB, MiB);
    let answer = '';
    sock.on('data', (d: Buffer) => (answer += d.toString()));
    await new Promise((resolve) => sock.once('close', resolve));
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('<Code>RequestTimeout</Code>');
    expect((await signedFetch(srv.endpoint, srv.creds, { path: `/${B}/stalled.bin` })).status).toBe(404);
  });

  it('a body refused part-way leaves its connection to the next request', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    // one aws-chunked chunk of 3 MiB where 1,000 bytes were declared: refused at its first piece
    const data = randomBytes(3 * MiB);
    const framed = Buffer.concat([
      Buffer.from(`${data.length.toString(16)}\r\n`),
      data,
      Buffer.from('\r\n0\r\n\r\n'),
    ]);
    const chunked: Record<string, string> = {
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': '1000',
    };
    const refused = await put(agent, 'refused.bin', framed, chunked);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('<Code>IncompleteBody</Code>');
    const next = await put(agent, 'next.bin', Buffer.from('after the refusal'));
    expect(next).toMatchObject({ status: 200, reusedSocket: true });
    expect((await read('next.bin')).toString()).toBe('after the refusal');
    expect((await signedFetch(srv.endpoint, srv.creds, { path: `/${B}/refused.bin` })).status).toBe(404);
    agent.destroy();
  });
});
