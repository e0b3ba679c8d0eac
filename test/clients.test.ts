/**
 * Real S3 clients (aws-cli v2, rclone, s3cmd) against a running server on each runtime (Node, Deno, and
 * the Workers entry under wrangler dev), through the shared scenario script
 * `../shared/clients/clients.sh` (or $QOIMA_CLIENTS_SH). Every step must pass.
 */
import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type RunningServer, type Runtime, removeDir, startServer } from './helpers/server.ts';

const candidates = [
  process.env.QOIMA_CLIENTS_SH,
  resolve(ROOT, '../shared/clients/clients.sh'),
  '/work/shared/clients/clients.sh',
].filter(Boolean) as string[];

async function findScript(): Promise<string | null> {
  for (const c of candidates)
    if (
      await access(c).then(
        () => true,
        () => false,
      )
    )
      return c;
  return null;
}

const script = await findScript();
if (!script)
  console.warn(
    `clients.test: no clients.sh found (looked at ${candidates.join(', ')}); set QOIMA_CLIENTS_SH`,
  );

for (const runtime of ['node', 'deno', 'workers'] as const satisfies Runtime[]) {
  describe.skipIf(!script)(`aws-cli, rclone and s3cmd (clients.sh) on ${runtime}`, () => {
    let srv: RunningServer;
    beforeAll(async () => {
      srv = await startServer({ runtime });
    }, 180_000);
    afterAll(async () => {
      await srv.stop();
      await removeDir(srv.dataDir);
    });

    it('passes every step', async () => {
      const out = await new Promise<string>((resolveOut) => {
        const p = spawn(
          'bash',
          [script!, '127.0.0.1', String(srv.port), srv.creds.accessKeyId, srv.creds.secretAccessKey],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let text = '';
        p.stdout.on('data', (d: Buffer) => (text += d.toString()));
        p.stderr.on('data', (d: Buffer) => (text += d.toString()));
        p.on('exit', () => resolveOut(text));
      });
      const failed = out.split('\n').filter((l) => l.startsWith('FAIL'));
      expect(failed, out).toEqual([]);
      expect(out).toMatch(/clients: \d+ passed, 0 failed/);
    }, 600_000);
  });
}
