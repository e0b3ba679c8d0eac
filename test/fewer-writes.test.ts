/**
 * Fewer writes (node/fewer-writes.ts): a streamed body's header block leaves with its first piece;
 * responses ended in one turn of the event loop leave together at its end, each still with exactly
 * its own bytes, in order on its connection, with its callback, and one whose client is gone does not
 * hold back the others.
 */
import { ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { type Http2Bindings, type HttpBindings, serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fewerWrites } from '../src/node/fewer-writes.ts';

/** Everything a connection receives until the server closes it. */
function received(socket: Socket): Promise<string> {
  const got: Buffer[] = [];
  socket.on('data', (d: Buffer) => got.push(d));
  return new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(got).toString('latin1')));
  });
}

const request = (path: string, close = false) =>
  `GET ${path} HTTP/1.1\r\nHost: t\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;

describe('responses written with fewer writes', () => {
  let port = 0;
  let server: ReturnType<typeof serve>;
  const callbacks: string[] = [];
  beforeAll(async () => {
    server = serve({
      port: 0,
      hostname: '127.0.0.1',
      serverOptions: { ServerResponse: fewerWrites(ServerResponse) },
      fetch: (req: Request, bindings: HttpBindings | Http2Bindings) => {
        const env = bindings as HttpBindings;
        const path = new URL(req.url).pathname;
        if (path === '/raw') {
          // ended by hand, with a callback, the way Node's own users do
          env.outgoing.end('raw body', () => callbacks.push('raw'));
          return new Response(null);
        }
        if (path === '/stream') {
          // a body whose first piece takes a while (a chunk from a slow backend)
          const pieces = ['first piece', ' and the rest'];
          const later = new Promise((r) => setTimeout(r, 20));
          return new Response(
            new ReadableStream({
              async pull(c) {
                await later;
                const piece = pieces.shift();
                if (piece === undefined) c.close();
                else c.enqueue(new TextEncoder().encode(piece));
              },
            }),
          );
        }
        if (path === '/throws') {
          // an end that throws once its turn ends (not a body Node can write): that response is cut
          env.outgoing.end(42 as never);
          return new Response(null);
        }
        if (path === '/gone') {
          // the response is destroyed before its turn ends: its end must not stop the others
          queueMicrotask(() => env.outgoing.destroy());
        }
        return new Response(`body of ${path}`.repeat(path === '/big' ? 100_000 : 1));
      },
    });
    await new Promise((r) => server.once('listening', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it("send a streamed body's header block with its first piece", async () => {
    const socket = connect(port, '127.0.0.1');
    const first = new Promise<string>((r) => socket.once('data', (d: Buffer) => r(d.toString('latin1'))));
    const text = received(socket);
    socket.write(request('/stream', true));
    expect(await first).toMatch(/^HTTP\/1.1 200 OK\r\n[^]*\r\n\r\n[0-9a-f]+\r\nfirst piece/);
    expect(await text).toMatch(/first piece\r\n[0-9a-f]+\r\n and the rest\r\n0\r\n\r\n$/);
  });

  it('answer pipelined requests in order, each with its own body', async () => {
    const socket = connect(port, '127.0.0.1');
    const text = received(socket);
    socket.write(request('/a') + request('/big') + request('/b') + request('/c', true));
    const bodies = (await text).split('\r\n\r\n').slice(1);
    expect(bodies.map((b) => b.split('HTTP/1.1')[0])).toEqual([
      'body of /a',
      'body of /big'.repeat(100_000),
      'body of /b',
      'body of /c',
    ]);
  });

  it('reach every connection of a turn, a callback given to end is called', async () => {
    const paths = Array.from({ length: 40 }, (_, i) => `/p${i}`);
    const answers = await Promise.all(
      paths.map(async (p) => (await fetch(`http://127.0.0.1:${port}${p}`)).text()),
    );
    expect(answers).toEqual(paths.map((p) => `body of ${p}`));
    expect(await (await fetch(`http://127.0.0.1:${port}/raw`)).text()).toBe('raw body');
    expect(callbacks).toEqual(['raw']);
  });

  it('still answer the others when one was destroyed before the turn ended', async () => {
    const gone = connect(port, '127.0.0.1');
    const goneText = received(gone);
    const other = connect(port, '127.0.0.1');
    const otherText = received(other);
    gone.write(request('/gone', true));
    other.write(request('/after', true));
    expect(await goneText).toBe('');
    expect(await otherText).toMatch(/\r\n\r\nbody of \/after$/);
  });

  it('cut the connection of one whose end throws, and go on serving', async () => {
    const bad = connect(port, '127.0.0.1');
    const badText = received(bad);
    bad.write(request('/throws', true));
    expect(await badText).toBe('');
    expect(await (await fetch(`http://127.0.0.1:${port}/next`)).text()).toBe('body of /next');
  });
});
