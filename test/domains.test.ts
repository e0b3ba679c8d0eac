/**
 * Custom domains: ownership by DNS TXT (checked against a fake DNS server), a bucket and its website
 * served on a verified domain, unverified claims that give way after 48 hours, and domains and their
 * certificates released when their bucket or service is deleted (and by the migration that fixed it).
 * TLS certificates chosen by SNI: domains-certificates.test.ts.
 */
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  PutBucketWebsiteCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createClient } from '@libsql/client';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { api } from './helpers/api.ts';
import type { FakeDns } from './helpers/dns.ts';
import { domainsServerPerFile } from './helpers/domains.ts';
import { hostRequest } from './helpers/http.ts';
import { presign, s3 } from './helpers/s3.ts';
import { allMigrations, migratedDb } from './helpers/db.ts';
import { type Creds, type RunningServer, admin, removeDir, tempDir } from './helpers/server.ts';
import { migrate } from '../src/core/db/migrate.ts';

let srv: RunningServer;
let client: S3Client;
let dns: FakeDns;
const { makeCert } = domainsServerPerFile((s) => ({ srv, client, dns } = s));

/** Attaches `host` to `bucket` as the account `as`, publishes its TXT record and verifies it. */
async function verifiedDomain(as: Creds, bucket: string, host: string): Promise<void> {
  const who = { endpoint: srv.endpoint, creds: as };
  const attached = await api(who, 'POST', `/admin/buckets/${bucket}/domains`, { hostname: host });
  expect(attached.status, await attached.clone().text()).toBe(201);
  dns.txt.set(`_qoima-challenge.${host}`, [(await attached.json()).txtRecord.value]);
  expect((await api(who, 'POST', `/admin/buckets/${bucket}/domains/${host}/verify`)).status).toBe(200);
}

/** How many rows of `table` name `hostname`, read from the server's database file. */
async function rowsFor(table: 'domains' | 'certificates', hostname: string): Promise<number> {
  const db = createClient({ url: `file:${join(srv.dataDir, 'qoima.db')}` });
  try {
    const sql = `SELECT count(*) AS n FROM ${table} WHERE hostname = ?`;
    const r = await db.execute({ sql, args: [hostname] });
    return Number(r.rows[0]!.n);
  } finally {
    db.close();
  }
}

describe('custom domains', () => {
  it('serve a bucket only after the TXT ownership check passes, and stop when detached', async () => {
    const attached = await api(srv, 'POST', '/admin/buckets/media/domains', {
      hostname: 'Files.Example.Test',
    });
    expect(attached.status).toBe(201);
    const d = await attached.json();
    expect(d).toMatchObject({
      hostname: 'files.example.test',
      bucket: 'media',
      status: 'pending',
      txtRecord: { name: '_qoima-challenge.files.example.test' },
    });
    expect(d.txtRecord.value).toMatch(/^qoima-verify-/);

    // not served yet: a plain endpoint path
    const notYet = await hostRequest(srv.port, 'files.example.test', '/cat.jpg');
    expect(notYet.status).toBe(404);
    expect(notYet.body).toContain('NoSuchBucket');
    const early = await api(srv, 'POST', '/admin/buckets/media/domains/files.example.test/verify');
    expect(early.status).toBe(403);
    expect((await early.json()).error.message).toContain('_qoima-challenge.files.example.test');

    dns.txt.set('_qoima-challenge.files.example.test', ['unrelated', d.txtRecord.value]);
    const verified = await api(srv, 'POST', '/admin/buckets/media/domains/files.example.test/verify');
    expect(verified.status).toBe(200);
    expect((await verified.json()).status).toBe('verified');

    const served = await hostRequest(srv.port, 'files.example.test', '/cat.jpg');
    expect(served.status).toBe(200);
    expect(served.body).toBe('meow');

    const list = await (await api(srv, 'GET', '/admin/buckets/media/domains')).json();
    expect(list.domains.map((x: { hostname: string }) => x.hostname)).toEqual(['files.example.test']);

    expect((await api(srv, 'DELETE', '/admin/buckets/media/domains/files.example.test')).status).toBe(204);
    expect((await hostRequest(srv.port, 'files.example.test', '/cat.jpg')).body).not.toBe('meow');
  });

  it('apply the website rules when the bucket is a website', async () => {
    const d = await (
      await api(srv, 'POST', '/admin/buckets/media/domains', { hostname: 'www.example.test' })
    ).json();
    dns.txt.set('_qoima-challenge.www.example.test', [d.txtRecord.value]);
    await api(srv, 'POST', '/admin/buckets/media/domains/www.example.test/verify');
    await client.send(
      new PutBucketWebsiteCommand({
        Bucket: 'media',
        WebsiteConfiguration: { IndexDocument: { Suffix: 'index.html' } },
      }),
    );
    const home = await hostRequest(srv.port, 'www.example.test', '/');
    expect(home.status).toBe(200);
    expect(home.body).toBe('<h1>media home</h1>');
    // a presigned upload to the website's own domain reaches the bucket, not the website's 405
    const link = new URL(
      await presign(`http://www.example.test:${srv.port}`, srv.creds, {
        method: 'PUT',
        path: '/uploads/new.txt',
        expiresIn: 300,
      }),
    );
    const put = await hostRequest(srv.port, link.host, link.pathname + link.search, {
      method: 'PUT',
      body: 'uploaded via the domain',
    });
    expect(put.status).toBe(200);
    expect((await hostRequest(srv.port, 'www.example.test', '/uploads/new.txt')).body).toBe(
      'uploaded via the domain',
    );
  });

  it('refuse names of the service itself and names taken by another bucket', async () => {
    expect(
      (await api(srv, 'POST', '/admin/buckets/media/domains', { hostname: 'media.localhost' })).status,
    ).toBe(400);
    expect((await api(srv, 'POST', '/admin/buckets/media/domains', { hostname: 'not a name' })).status).toBe(
      400,
    );
    await client.send(new CreateBucketCommand({ Bucket: 'other-media' }));
    expect(
      (await api(srv, 'POST', '/admin/buckets/other-media/domains', { hostname: 'www.example.test' })).status,
    ).toBe(409);
  });
});

describe('an unverified claim', () => {
  it('holds a domain against other buckets for 48 hours, then gives way to the next claimant', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'squatter' }));
    await client.send(new CreateBucketCommand({ Bucket: 'rightful' }));
    expect(
      (await api(srv, 'POST', '/admin/buckets/squatter/domains', { hostname: 'shop.example.test' })).status,
    ).toBe(201);
    const held = await api(srv, 'POST', '/admin/buckets/rightful/domains', { hostname: 'shop.example.test' });
    expect(held.status).toBe(409);
    expect((await held.json()).error.message).toContain('give way after 48 hours');

    const db = createClient({ url: `file:${join(srv.dataDir, 'qoima.db')}` });
    await db.execute({
      sql: 'UPDATE domains SET created_at = ? WHERE hostname = ?',
      args: [Date.now() - 49 * 3_600_000, 'shop.example.test'],
    });
    db.close();
    const claimed = await api(srv, 'POST', '/admin/buckets/rightful/domains', {
      hostname: 'shop.example.test',
    });
    expect(claimed.status).toBe(201);
    const d = await claimed.json();
    expect(d).toMatchObject({ bucket: 'rightful', status: 'pending' });
    dns.txt.set('_qoima-challenge.shop.example.test', [d.txtRecord.value]);
    expect((await api(srv, 'POST', '/admin/buckets/rightful/domains/shop.example.test/verify')).status).toBe(
      200,
    );
    expect(
      (await api(srv, 'POST', '/admin/buckets/squatter/domains', { hostname: 'shop.example.test' })).status,
    ).toBe(409); // verified: held for good
  });
});

describe('deleting a bucket', () => {
  it('releases its verified domains and deletes their certificates, for its owner and everyone else', async () => {
    const other: Creds = JSON.parse(
      await admin(srv.dataDir, ['accounts', 'create', '--name', 'other', '--json']),
    );
    const otherClient = s3(srv.endpoint, other);
    await client.send(new CreateBucketCommand({ Bucket: 'old-site' }));
    await api(srv, 'PATCH', '/admin/buckets/old-site', { accessType: 'public-read' });
    await verifiedDomain(srv.creds, 'old-site', 'blog.example.test');
    await verifiedDomain(srv.creds, 'old-site', 'shop.old.example.test');
    const cert = await makeCert('blog.example.test');
    expect(
      (await api(srv, 'PUT', '/admin/buckets/old-site/domains/blog.example.test/certificate', cert)).status,
    ).toBe(200);
    // the host router has just looked the name up (and remembers it)
    expect((await hostRequest(srv.port, 'blog.example.test', '/nothing-here')).body).toContain('NoSuchKey');

    await client.send(new DeleteBucketCommand({ Bucket: 'old-site' }));
    expect(await rowsFor('certificates', 'blog.example.test')).toBe(0);
    // another customer takes the bucket name at once: the domain must not lead into their bucket
    await otherClient.send(new CreateBucketCommand({ Bucket: 'old-site' }));
    await otherClient.send(
      new PutObjectCommand({ Bucket: 'old-site', Key: 'secret.txt', Body: 'not for blog.example.test' }),
    );
    await api({ endpoint: srv.endpoint, creds: other }, 'PATCH', '/admin/buckets/old-site', {
      accessType: 'public-read',
    });
    expect((await hostRequest(srv.port, 'blog.example.test', '/secret.txt')).body).not.toContain(
      'not for blog.example.test',
    );

    // the owner attaches one name to another bucket, another customer the other name
    await client.send(new CreateBucketCommand({ Bucket: 'new-site' }));
    await verifiedDomain(srv.creds, 'new-site', 'blog.example.test');
    await otherClient.send(new CreateBucketCommand({ Bucket: 'other-site' }));
    await verifiedDomain(other, 'other-site', 'shop.old.example.test');

    // the same through the JSON API (and so the console)
    expect((await api(srv, 'DELETE', '/admin/buckets/new-site')).status).toBe(204);
    expect(await rowsFor('domains', 'blog.example.test')).toBe(0);
    await verifiedDomain(other, 'other-site', 'blog.example.test');
  });

  it('releases the domains and certificates of a deleted service (account) too', async () => {
    const created = await admin(srv.dataDir, ['accounts', 'create', '--name', 'leaving', '--json']);
    const gone: Creds & { accountId: string } = JSON.parse(created);
    const as = { endpoint: srv.endpoint, creds: gone };
    await s3(srv.endpoint, gone).send(new CreateBucketCommand({ Bucket: 'leaving-site' }));
    await verifiedDomain(gone, 'leaving-site', 'leaving.example.test');
    const cert = await makeCert('leaving.example.test');
    expect(
      (await api(as, 'PUT', '/admin/buckets/leaving-site/domains/leaving.example.test/certificate', cert))
        .status,
    ).toBe(200);
    expect((await api(as, 'DELETE', '/admin/service', { confirm: gone.accountId })).status).toBe(204);
    expect(await rowsFor('certificates', 'leaving.example.test')).toBe(0);
    await client.send(new CreateBucketCommand({ Bucket: 'arriving-site' }));
    await verifiedDomain(srv.creds, 'arriving-site', 'leaving.example.test');
  });

  it('a database from before the fix: the migration releases domains stranded by deleted buckets', async () => {
    const dir = await tempDir('qoima-migration-');
    try {
      const all = await allMigrations();
      const fix = all.findIndex((m) => m.tag.endsWith('_release_stranded_domains'));
      expect(fix).toBeGreaterThan(0);
      const { client: db } = await migratedDb(dir, all.slice(0, fix));
      await db.execute(`INSERT INTO accounts (id, name, created_at) VALUES ('acct', 'a', 0)`);
      await db.execute(`INSERT INTO buckets (id, account_id, name, created_at, storage_class, access_type)
        VALUES ('b-live', 'acct', 'live', 0, 'STANDARD', 'private')`);
      for (const [host, bucket] of [
        ['kept.example.test', 'b-live'],
        ['stranded.example.test', 'b-deleted'],
      ] as const) {
        await db.execute({
          sql: `INSERT INTO domains (hostname, bucket_id, token, status, created_at) VALUES (?, ?, 't', 'verified', 0)`,
          args: [host, bucket],
        });
        await db.execute({
          sql: `INSERT INTO certificates (hostname, certificate_pem, key_sealed, not_before, not_after, subject, fingerprint, updated_at)
          VALUES (?, 'pem', 'sealed', 0, 1, 's', 'f', 0)`,
          args: [host],
        });
      }
      await migrate(db, all);
      for (const table of ['domains', 'certificates']) {
        expect((await db.execute(`SELECT hostname FROM ${table}`)).rows.map((r) => r.hostname)).toEqual([
          'kept.example.test',
        ]);
      }
      db.close();
    } finally {
      await removeDir(dir);
    }
  });
});
