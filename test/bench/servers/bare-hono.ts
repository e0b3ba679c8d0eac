/**
 * Baseline: a bare Hono app on @hono/node-server answering `GET /<name>` with the bytes of
 * `<dir>/<name>` from memory (read once, on the first request) — the ceiling of Qoima's own stack.
 * `node --import tsx bare-hono.ts <dir>`; prints `listening on <endpoint>`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const dir = process.argv[2]!;
const cache = new Map<string, Uint8Array<ArrayBuffer>>();
const app = new Hono();
app.get('/:name', (c) => {
  const name = c.req.param('name');
  let body = cache.get(name);
  if (!body) {
    body = new Uint8Array(readFileSync(join(dir, name.replace(/[/\\]/g, ''))));
    cache.set(name, body);
  }
  const type = name.endsWith('.html') ? 'text/html' : 'application/octet-stream';
  return c.body(body, 200, { 'content-type': type });
});
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
  console.log(`listening on http://127.0.0.1:${info.port}`),
);
process.on('SIGTERM', () => process.exit(0));
