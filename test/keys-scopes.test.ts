/**
 * Access keys: what a scope allows, both ways, through Bearer tokens and SigV4 key pairs alike. Allowed
 * with the right scope; AccessDenied for a wrong bucket, prefix, action or account. The token itself
 * (revoked, expired, forged), signing key rotation and managing keys: keys.test.ts.
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { api } from './helpers/api.ts';
import { expectDenied, keysServerPerFile } from './helpers/keys.ts';
import { s3 } from './helpers/s3.ts';
import { type RunningServer, admin } from './helpers/server.ts';

let srv: RunningServer;
const { issue, bearer } = keysServerPerFile((s) => (srv = s));

describe('scopes, through Bearer tokens and SigV4 key pairs alike', () => {
  it('read+list on one bucket: reads and lists it, nothing more', async () => {
    const key = await issue([{ bucket: 'photos', actions: ['read', 'list'] }]);
    expect(key.accessKeyId).toBe(key.keyId);
    expect((await bearer(key.token, '/photos/public/a.jpg')).status).toBe(200);
    expect((await bearer(key.token, '/photos?list-type=2')).status).toBe(200);
    await expectDenied(bearer(key.token, '/photos/new.jpg', { method: 'PUT', body: 'x' }), /may not write/);
    await expectDenied(bearer(key.token, '/photos/public/a.jpg', { method: 'DELETE' }), /may not delete/);
    await expectDenied(bearer(key.token, '/logs/l.txt'), /may not read s3:\/\/logs/);
    const sdk = s3(srv.endpoint, key);
    expect(
      await (
        await sdk.send(new GetObjectCommand({ Bucket: 'photos', Key: 'private/b.jpg' }))
      ).Body!.transformToString(),
    ).toBe('private/b.jpg');
    await expect(
      sdk.send(new PutObjectCommand({ Bucket: 'photos', Key: 'x', Body: 'x' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(sdk.send(new GetObjectCommand({ Bucket: 'logs', Key: 'l.txt' }))).rejects.toMatchObject({
      name: 'AccessDenied',
    });
  });

  it('a prefix scope stops at the prefix, for objects and for listings', async () => {
    const key = await issue([{ bucket: 'photos', prefix: 'public/', actions: ['read', 'list'] }]);
    const sdk = s3(srv.endpoint, key);
    expect(
      (await sdk.send(new GetObjectCommand({ Bucket: 'photos', Key: 'public/a.jpg' }))).$metadata
        .httpStatusCode,
    ).toBe(200);
    await expect(
      sdk.send(new GetObjectCommand({ Bucket: 'photos', Key: 'private/b.jpg' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    const listed = await sdk.send(new ListObjectsV2Command({ Bucket: 'photos', Prefix: 'public/' }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(['public/a.jpg']);
    await expect(sdk.send(new ListObjectsV2Command({ Bucket: 'photos' }))).rejects.toMatchObject({
      name: 'AccessDenied',
    });
  });

  it('write, delete and admin are separate actions', async () => {
    const writer = s3(
      srv.endpoint,
      await issue([{ bucket: 'photos', prefix: 'uploads/', actions: ['write'] }]),
    );
    await writer.send(new PutObjectCommand({ Bucket: 'photos', Key: 'uploads/1.jpg', Body: 'one' }));
    await expect(
      writer.send(new PutObjectCommand({ Bucket: 'photos', Key: 'elsewhere.jpg', Body: 'x' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(
      writer.send(new DeleteObjectCommand({ Bucket: 'photos', Key: 'uploads/1.jpg' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    const deleter = s3(srv.endpoint, await issue([{ bucket: 'photos', actions: ['delete'] }]));
    await deleter.send(new DeleteObjectCommand({ Bucket: 'photos', Key: 'uploads/1.jpg' }));
    const cors = {
      Bucket: 'photos',
      CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['GET'] }] },
    };
    await expect(deleter.send(new PutBucketCorsCommand(cors))).rejects.toMatchObject({
      name: 'AccessDenied',
    });
    await s3(srv.endpoint, await issue([{ bucket: 'photos', actions: ['admin'] }])).send(
      new PutBucketCorsCommand(cors),
    );
  });

  it(
    'admin is for whole buckets: it cannot be confined to a prefix (which would let ' +
      'it open the whole bucket)',
    async () => {
      const res = await api(srv, 'POST', '/admin/keys', {
        name: 'prefixed admin',
        scopes: [{ bucket: 'photos', prefix: 'public/', actions: ['admin', 'read'] }],
        expiresInSeconds: 3600,
      });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('without a key prefix');
    },
  );

  it('a key never reaches another account', async () => {
    const other = JSON.parse(await admin(srv.dataDir, ['accounts', 'create', '--name', 'other', '--json']));
    const s3other = s3(srv.endpoint, other);
    await s3other.send(new CreateBucketCommand({ Bucket: 'their-bucket' }));
    await s3other.send(new PutObjectCommand({ Bucket: 'their-bucket', Key: 't.txt', Body: 't' }));
    const mine = await issue([{ bucket: '*', actions: ['read', 'list', 'write', 'delete', 'admin'] }]);
    await expectDenied(bearer(mine.token, '/their-bucket/t.txt'));
    await expect(
      s3(srv.endpoint, mine).send(new GetObjectCommand({ Bucket: 'their-bucket', Key: 't.txt' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});
