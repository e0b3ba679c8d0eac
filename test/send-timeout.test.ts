/**
 * A client that stops taking its download is cut off once it has taken nothing for the send timeout
 * (src/node/send-timeout.ts), so it cannot hold its connection and read-ahead buffers for good; one
 * that keeps taking it, however unevenly, gets its whole body.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { type Socket, connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { presign, randomBytes, serverPerFile } from './helpers/s3.ts';
import type { RunningServer } from './helpers/server.ts';

const MiB = 1024 * 1024;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const body = randomBytes(16 * MiB);
let srv: RunningServer;

serverPerFile(
  ['downloads'],
  async (s) => {
    srv = s.srv;
    await s.client.send(new PutObjectCommand({ Bucket: 'downloads', Key: 'big', Body: body }));
  },
  { env: { QOIMA_SEND_TIMEOUT_SECONDS: '1' } },
);

/** A raw GET of the object, paused as soon as its first bytes arrive; what came, and when it closed. */
async function download(): Promise<{ sock: Socket; got: Buffer[]; closed: Promise<void> }> {
  const url = new URL(await presign(srv.endpoint, srv.creds, { path: '/downloads/big', expiresIn: 300 }));
  const sock = connect(Number(url.port), '127.0.0.1');
  sock.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`);
  const got: Buffer[] = [];
  const closed = new Promise<void>((r) => sock.on('close', () => r()));
  await new Promise<void>((r) =>
    sock.once('data', (d: Buffer) => {
      got.push(d);
      sock.pause();
      r();
    }),
  );
  return { sock, got, closed };
}

const bodyOf = (got: Buffer[]) => {
  const raw = Buffer.concat(got);
  return raw.subarray(raw.indexOf('\r\n\r\n') + 4);
};

describe('the send timeout', () => {
  it('cuts off a download whose client takes nothing more', async () => {
    const { sock, got, closed } = await download();
    // the client stalls for longer than the timeout (the stall is what is tested: a wait, not a sync)
    await new Promise((r) => setTimeout(r, 2500));
    sock.on('data', (d: Buffer) => got.push(d));
    sock.on('error', () => {}); // (a reset, as the server cut it with bytes unsent)
    sock.resume();
    await closed;
    const received = bodyOf(got);
    expect(received.length).toBeLessThan(body.length);
    expect(Buffer.compare(received, body.subarray(0, received.length))).toBe(0);
  });

  it('lets a client that keeps taking, in bursts, have the whole body', async () => {
    const { sock, got, closed } = await download();
    // it takes what comes for 30 ms, every half a timeout: it stalls in between, never for a whole one
    sock.on('data', (d: Buffer) => got.push(d));
    const pace = setInterval(() => {
      sock.resume();
      setTimeout(() => sock.pause(), 30);
    }, 500);
    await closed;
    clearInterval(pace);
    expect(sha(bodyOf(got))).toBe(sha(body));
  });
});
