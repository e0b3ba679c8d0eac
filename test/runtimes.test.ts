/**
 * One app on three runtimes: the S3 core cases against the Node server, the Deno server and the
 * Workers entry under wrangler dev (workerd, miniflare's local R2, a local sqld). On Workers, the
 * request log is written through ctx.waitUntil; its rows must reach the libSQL server.
 */
import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { api } from './helpers/api.ts';
import { coreS3Cases } from './helpers/core-cases.ts';
import { s3 } from './helpers/s3.ts';
import { type RunningServer, type Runtime, removeDir, startServer } from './helpers/server.ts';

for (const runtime of ['node', 'deno', 'workers'] as const satisfies Runtime[]) {
  describe(`S3 core on ${runtime}`, () => {
    let srv: RunningServer;
    beforeAll(async () => {
      srv = await startServer({ runtime, env: { QOIMA_LOG_FLUSH_MS: '200' } });
    }, 180_000);
    afterAll(async () => {
      expect(await srv.stop()).toBe(0);
      await removeDir(srv.dataDir);
    });

    coreS3Cases(() => srv);

    it('serves the console: sign in with the root keys, see the buckets', async () => {
      const signIn = await fetch(`${srv.endpoint}/console/sign-in`, {
        method: 'POST',
        redirect: 'manual',
        body: new URLSearchParams({ ...srv.creds }),
      });
      expect(signIn.status).toBe(303);
      const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
      const page = await fetch(`${srv.endpoint}/console/buckets`, { headers: { cookie } });
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toMatch(/^<!DOCTYPE html>/);
      expect(html).toContain('rt-presign');
    });

    if (runtime === 'workers') {
      it('leaves TLS certificates to Cloudflare: attaching one says so', async () => {
        const c = s3(srv.endpoint, srv.creds);
        await c.send(new CreateBucketCommand({ Bucket: 'rt-domains' }));
        expect(
          (await api(srv, 'POST', '/admin/buckets/rt-domains/domains', { hostname: 'files.example.com' }))
            .status,
        ).toBe(201);
        const res = await api(srv, 'PUT', '/admin/buckets/rt-domains/domains/files.example.com/certificate', {
          certificatePem: 'x',
          privateKeyPem: 'y',
        });
        expect(res.status).toBe(501);
        expect(JSON.stringify(await res.json())).toMatch(/Cloudflare/);
      });

      it('logs every request through waitUntil into the libSQL server', async () => {
        const sqldPort = /libSQL server on port (\d+)/.exec(srv.output())![1];
        const db = createClient({ url: `http://127.0.0.1:${sqldPort}` });
        try {
          const rows = (
            await db.execute("SELECT operation, status, auth FROM request_log WHERE bucket = 'rt-presign'")
          ).rows;
          expect(rows).toContainEqual(
            expect.objectContaining({ operation: 'GetObject', status: 200, auth: 'presigned' }),
          );
          expect(rows).toContainEqual(
            expect.objectContaining({ operation: 'GetObject', status: 403, auth: 'anonymous' }),
          );
        } finally {
          db.close();
        }
      });
    }
  });
}
