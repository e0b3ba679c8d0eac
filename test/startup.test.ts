/** Start-up, first account, root credentials, admin CLI, SIGTERM: what an operator sees. */
import { type BucketLocationConstraint, CreateBucketCommand, ListBucketsCommand } from '@aws-sdk/client-s3';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { s3 } from './helpers/s3.ts';
import { admin, removeDir, startServer, tempDir } from './helpers/server.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeDir(d);
});

describe('first start', () => {
  it('creates the first account, prints its root user once, keeps it across restarts', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    const first = await startServer({ dataDir });
    expect(first.output()).toContain(first.creds.accessKeyId);
    expect(first.output()).toContain(first.creds.secretAccessKey);
    const file = join(dataDir, 'root-credentials.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(await readFile(file, 'utf8'));
    expect(saved).toEqual({
      endpoint: first.endpoint,
      accessKeyId: first.creds.accessKeyId,
      secretAccessKey: first.creds.secretAccessKey,
    });
    await s3(first.endpoint, first.creds).send(new CreateBucketCommand({ Bucket: 'kept-bucket' }));
    expect(await first.stop()).toBe(0);
    expect(first.output()).toMatch(/stopped/);

    const second = await startServer({ dataDir });
    expect(second.output()).not.toContain(first.creds.secretAccessKey);
    const list = await s3(second.endpoint, first.creds).send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).toEqual(['kept-bucket']);
    await second.stop();
  });

  it('does not keep secrets in clear in the database file', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    const srv = await startServer({ dataDir });
    await srv.stop();
    const db = await readFile(join(dataDir, 'qoima.db'));
    const wal = await readFile(join(dataDir, 'qoima.db-wal')).catch(() => Buffer.alloc(0));
    const all = Buffer.concat([db, wal]);
    expect(all.includes(srv.creds.accessKeyId)).toBe(true); // the id is not secret...
    expect(all.includes(srv.creds.secretAccessKey)).toBe(false); // ...the secret is
  });

  it('takes preset root keys from QOIMA_ROOT_ACCESS_KEY / QOIMA_ROOT_SECRET_KEY, as MinIO users expect', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    const env = { QOIMA_ROOT_ACCESS_KEY: 'minioadmin', QOIMA_ROOT_SECRET_KEY: 'minioadmin-secret' };
    const srv = await startServer({ dataDir, env });
    expect(srv.creds).toEqual({ accessKeyId: 'minioadmin', secretAccessKey: 'minioadmin-secret' });
    await s3(srv.endpoint, srv.creds).send(new ListBucketsCommand({}));
    await srv.stop();
    // changing the preset rotates the first root user's key
    const env2 = { QOIMA_ROOT_ACCESS_KEY: 'rootkey2', QOIMA_ROOT_SECRET_KEY: 'another-secret' };
    const again = await startServer({ dataDir, env: env2 });
    await s3(again.endpoint, { accessKeyId: 'rootkey2', secretAccessKey: 'another-secret' }).send(
      new ListBucketsCommand({}),
    );
    await expect(s3(again.endpoint, srv.creds).send(new ListBucketsCommand({}))).rejects.toMatchObject({
      name: 'InvalidAccessKeyId',
    });
    await again.stop();
  });

  it('refuses bad settings with a message naming them', async () => {
    await expect(startServer({ env: { QOIMA_PORT: 'ninety' } })).rejects.toThrow(/QOIMA_PORT/);
    await expect(startServer({ args: ['--nonsense'] })).rejects.toThrow(/unknown option --nonsense/);
    const half = { QOIMA_TLS_CERT: '/etc/hostname' };
    await expect(startServer({ env: half })).rejects.toThrow(/QOIMA_TLS_CERT and QOIMA_TLS_KEY go together/);
    const missing = {
      QOIMA_HTTPS_PORT: '0',
      QOIMA_TLS_CERT: '/no/such/cert.pem',
      QOIMA_TLS_KEY: '/no/such/key.pem',
    };
    await expect(startServer({ env: missing })).rejects.toThrow(
      /QOIMA_TLS_CERT \/ QOIMA_TLS_KEY: .*no such file/,
    );
  });

  it('honours --port and --region flags over the environment', async () => {
    const srv = await startServer({ args: ['--region', 'kz-ala-1'] });
    dirs.push(srv.dataDir);
    expect(srv.output()).toContain('region kz-ala-1');
    const client = s3(srv.endpoint, srv.creds, { region: 'kz-ala-1' });
    await client.send(
      new CreateBucketCommand({
        Bucket: 'regional',
        CreateBucketConfiguration: { LocationConstraint: 'kz-ala-1' as BucketLocationConstraint },
      }),
    );
    await srv.stop();
  });
});

describe('admin CLI', () => {
  it('creates and lists accounts while the server runs; each new root user works at once', async () => {
    const srv = await startServer();
    dirs.push(srv.dataDir);
    const created = JSON.parse(
      await admin(srv.dataDir, ['accounts', 'create', '--name', 'Acme LLP', '--json']),
    );
    expect(Object.keys(created).sort()).toEqual(['accessKeyId', 'accountId', 'secretAccessKey']);
    const acme = s3(srv.endpoint, {
      accessKeyId: created.accessKeyId,
      secretAccessKey: created.secretAccessKey,
    });
    await acme.send(new CreateBucketCommand({ Bucket: 'acme-files' }));
    const list = JSON.parse(await admin(srv.dataDir, ['accounts', 'list', '--json']));
    expect(list.map((a: { name: string }) => a.name)).toEqual(['root', 'Acme LLP']);
    expect(list.find((a: { accountId: string }) => a.accountId === created.accountId).buckets).toBe(1);
    await srv.stop();
  });

  it('explains its usage on a wrong command', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    await expect(admin(dataDir, ['accounts', 'frobnicate'])).rejects.toThrow(
      /unknown command "accounts frobnicate"\ndid you mean: accounts create, accounts delete, accounts list\?/,
    );
  });
});
