/**
 * Access keys: the token itself and its life. Revoked (with the keys issued through it), expired,
 * tampered, wrong-algorithm and wrong-audience tokens are refused through Bearer and SigV4 key pairs
 * alike; a token verifies at the edge against the published JWKS; signing keys rotate; only root or a
 * *:admin key manages keys, through the JSON API and the admin CLI. What a scope allows: keys-scopes.test.ts.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createClient } from '@libsql/client';
import { SignJWT, createLocalJWKSet, importJWK, jwtVerify, type JWK } from 'jose';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../src/core/secretbox.ts';
import { api } from './helpers/api.ts';
import { expectDenied, keysServerPerFile } from './helpers/keys.ts';
import { s3 } from './helpers/s3.ts';
import { type RunningServer, admin } from './helpers/server.ts';

let srv: RunningServer;
const { issue, bearer } = keysServerPerFile((s) => (srv = s));

/** The service's current signing key, read from its data directory (to forge tokens in tests). */
async function signingKey(): Promise<{ kid: string; privateKey: CryptoKey | Uint8Array; publicJwk: JWK }> {
  const client = createClient({ url: `file:${join(srv.dataDir, 'qoima.db')}` });
  const box = await SecretBox.create(
    Buffer.from((await readFile(join(srv.dataDir, 'server.key'), 'utf8')).trim(), 'base64'),
  );
  const row = (
    await client.execute(
      'SELECT kid, public_jwk, private_jwk_sealed FROM signing_keys WHERE retired_at IS NULL',
    )
  ).rows[0]!;
  client.close();
  const kid = String(row.kid);
  const privateJwk = JSON.parse(await box.open(String(row.private_jwk_sealed), `jwk:${kid}`)) as JWK;
  return {
    kid,
    privateKey: await importJWK(privateJwk, 'ES256'),
    publicJwk: JSON.parse(String(row.public_jwk)) as JWK,
  };
}

async function accountId(): Promise<string> {
  const list = JSON.parse(await admin(srv.dataDir, ['accounts', 'list', '--json']));
  return list[0].accountId;
}

describe('refusals of the token itself', () => {
  it('revoked keys are refused by the very next request, over Bearer and SigV4', async () => {
    const key = await issue([{ bucket: 'photos', actions: ['read'] }]);
    expect((await bearer(key.token, '/photos/public/a.jpg')).status).toBe(200);
    const sdk = s3(srv.endpoint, key);
    await sdk.send(new GetObjectCommand({ Bucket: 'photos', Key: 'public/a.jpg' }));
    const revoked = await api(srv, 'DELETE', `/admin/keys/${key.keyId}`);
    expect((await revoked.json()).status).toBe('revoked');
    expect((await bearer(key.token, '/photos/public/a.jpg')).status).toBe(403);
    await expect(
      sdk.send(new GetObjectCommand({ Bucket: 'photos', Key: 'public/a.jpg' })),
    ).rejects.toMatchObject({ name: 'AccessDenied', message: expect.stringMatching(/revoked/) });
  });

  it('revoking a key revokes the keys issued through it, on down; its siblings stay', async () => {
    const adminKey = await issue([{ bucket: '*', actions: ['admin', 'read'] }]);
    const asAdmin = { endpoint: srv.endpoint, creds: adminKey };
    const child = await issue([{ bucket: '*', actions: ['admin', 'read'] }], asAdmin, {
      expiresInSeconds: 1800,
    });
    const grandchild = await issue(
      [{ bucket: 'photos', actions: ['read'] }],
      { endpoint: srv.endpoint, creds: child },
      { expiresInSeconds: 900 },
    );
    const sibling = await issue([{ bucket: 'photos', actions: ['read'] }]);
    await api(srv, 'DELETE', `/admin/keys/${adminKey.keyId}`);
    const listed = (await (await api(srv, 'GET', '/admin/keys')).json()) as {
      keys: { keyId: string; status: string }[];
    };
    const status = (id: string) => listed.keys.find((k) => k.keyId === id)?.status;
    expect([
      status(adminKey.keyId),
      status(child.keyId),
      status(grandchild.keyId),
      status(sibling.keyId),
    ]).toEqual(['revoked', 'revoked', 'revoked', 'active']);
    await expectDenied(bearer(grandchild.token, '/photos/public/a.jpg'), /revoked/);
    expect((await bearer(sibling.token, '/photos/public/a.jpg')).status).toBe(200);
  });

  it('expired tokens and expired key pairs are refused', async () => {
    const { kid, privateKey } = await signingKey();
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ scp: [{ bucket: 'photos', actions: ['read'] }] })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer('qoima')
      .setAudience('qoima')
      .setSubject(await accountId())
      .setJti('QAEXPIRED')
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 120)
      .sign(privateKey);
    await expectDenied(bearer(expired, '/photos/public/a.jpg'), /expired/);
    const key = await issue([{ bucket: 'photos', actions: ['read'] }]);
    const client = createClient({ url: `file:${join(srv.dataDir, 'qoima.db')}` });
    await client.execute({
      sql: 'UPDATE access_keys SET expires_at = ? WHERE id = ?',
      args: [Date.now() - 120_000, key.keyId],
    });
    client.close();
    await expect(
      s3(srv.endpoint, key).send(new GetObjectCommand({ Bucket: 'photos', Key: 'public/a.jpg' })),
    ).rejects.toMatchObject({ name: 'AccessDenied', message: expect.stringMatching(/expired/) });
  });

  it('tampered claims, alg none, an HMAC made with the public key, wrong audience or issuer: all refused', async () => {
    const key = await issue([{ bucket: 'photos', actions: ['read'] }]);
    const [h, p, sig] = key.token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    claims.scp = [{ bucket: '*', actions: ['read', 'write', 'list', 'delete', 'admin'] }];
    const widened = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
    await expectDenied(bearer(widened, '/logs/l.txt'));
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
    await expectDenied(bearer(none, '/photos/public/a.jpg'));
    const { kid, privateKey, publicJwk } = await signingKey();
    const hs = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid })
      .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
    await expectDenied(bearer(hs, '/photos/public/a.jpg'));
    const acc = await accountId();
    const forge = (aud: string, iss: string) =>
      new SignJWT({ scp: [{ bucket: 'photos', actions: ['read'] }] })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setIssuer(iss)
        .setAudience(aud)
        .setSubject(acc)
        .setJti('QAFORGED')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey);
    await expectDenied(
      bearer(await forge('someone-else', 'qoima'), '/photos/public/a.jpg'),
      /not valid here/,
    );
    await expectDenied(
      bearer(await forge('qoima', 'https://evil.example'), '/photos/public/a.jpg'),
      /not valid here/,
    );
    // and the genuine one still works
    expect((await bearer(await forge('qoima', 'qoima'), '/photos/public/a.jpg')).status).toBe(200);
  });
});

describe('verification at the edge, and signing key rotation', () => {
  it('a key verifies against /.well-known/jwks.json with no database', async () => {
    const key = await issue([{ bucket: 'photos', actions: ['read'] }]);
    const jwks = await (await fetch(`${srv.endpoint}/.well-known/jwks.json`)).json();
    const { payload, protectedHeader } = await jwtVerify(key.token, createLocalJWKSet(jwks), {
      issuer: 'qoima',
      audience: 'qoima',
      algorithms: ['ES256'],
    });
    expect(payload).toMatchObject({ jti: key.keyId, scp: [{ bucket: 'photos', actions: ['read'] }] });
    expect(jwks.keys.map((k: JWK) => k.kid)).toContain(protectedHeader.kid);
    expect(jwks.keys[0].d).toBeUndefined(); // no private part
  });

  it('rotation keeps old keys valid until they expire, then drops the old public key', async () => {
    const before = await issue([{ bucket: 'photos', actions: ['read'] }]);
    const oldKid = JSON.parse(Buffer.from(before.token.split('.')[0]!, 'base64url').toString()).kid;
    const rotated = JSON.parse(await admin(srv.dataDir, ['signing-key', 'rotate', '--json']));
    expect(rotated.retired).toContain(oldKid);
    expect((await bearer(before.token, '/photos/public/a.jpg')).status).toBe(200);
    const after = await issue([{ bucket: 'photos', actions: ['read'] }]);
    expect(JSON.parse(Buffer.from(after.token.split('.')[0]!, 'base64url').toString()).kid).toBe(rotated.kid);
    let kids = (await (await fetch(`${srv.endpoint}/.well-known/jwks.json`)).json()).keys.map(
      (k: JWK) => k.kid,
    );
    expect(kids).toEqual(expect.arrayContaining([oldKid, rotated.kid]));
    // once every key signed with the old one has expired, rotating again drops it
    const client = createClient({ url: `file:${join(srv.dataDir, 'qoima.db')}` });
    await client.execute({
      sql: 'UPDATE access_keys SET expires_at = ? WHERE signing_kid = ?',
      args: [Date.now() - 1000, oldKid],
    });
    await client.execute({
      sql: 'UPDATE signing_keys SET drop_after = ? WHERE kid = ?',
      args: [Date.now() - 1000, oldKid],
    });
    client.close();
    await admin(srv.dataDir, ['signing-key', 'rotate', '--json']);
    kids = (await (await fetch(`${srv.endpoint}/.well-known/jwks.json`)).json()).keys.map((k: JWK) => k.kid);
    expect(kids).not.toContain(oldKid);
    await expectDenied(bearer(before.token, '/photos/public/a.jpg'));
  });
});

describe('managing keys', () => {
  it('only root or a *:admin key manages keys, and never hands out more than it has', async () => {
    const reader = await issue([{ bucket: 'photos', actions: ['read'] }]);
    const asReader = { endpoint: srv.endpoint, creds: reader };
    expect(
      (
        await api(asReader, 'POST', '/admin/keys', {
          name: 'x',
          scopes: [{ bucket: 'photos', actions: ['read'] }],
        })
      ).status,
    ).toBe(403);
    expect((await api(asReader, 'GET', '/admin/keys')).status).toBe(403);
    const adminKey = await issue([{ bucket: '*', actions: ['admin', 'read'] }]);
    const asAdmin = { endpoint: srv.endpoint, creds: adminKey };
    await issue([{ bucket: 'photos', actions: ['read'] }], asAdmin, { expiresInSeconds: 1800 });
    const broader = await api(asAdmin, 'POST', '/admin/keys', {
      name: 'x',
      scopes: [{ bucket: 'photos', actions: ['write'] }],
      expiresInSeconds: 1800,
    });
    expect(broader.status).toBe(403);
    expect((await broader.json()).error.message).toContain('more than the key that creates it');
    const longer = await api(asAdmin, 'POST', '/admin/keys', {
      name: 'x',
      scopes: [{ bucket: 'photos', actions: ['read'] }],
      expiresInSeconds: 7200,
    });
    expect(longer.status).toBe(403);
  });

  it('the admin CLI issues, lists and revokes keys', async () => {
    const acc = await accountId();
    const created = JSON.parse(
      await admin(srv.dataDir, [
        'keys',
        'create',
        '--account',
        acc,
        '--name',
        'ci',
        '--scope',
        'logs:read,list',
        '--scope',
        'photos/public/:read',
        '--expires',
        '7d',
        '--json',
      ]),
    );
    expect(created.scopes).toEqual([
      { bucket: 'logs', actions: ['read', 'list'] },
      { bucket: 'photos', prefix: 'public/', actions: ['read'] },
    ]);
    expect((await bearer(created.token, '/logs/l.txt')).status).toBe(200);
    const list = JSON.parse(await admin(srv.dataDir, ['keys', 'list', '--account', acc, '--json']));
    expect(list.find((k: { keyId: string }) => k.keyId === created.keyId)).toMatchObject({
      name: 'ci',
      status: 'active',
    });
    expect(JSON.stringify(list)).not.toContain(created.secretAccessKey);
    await admin(srv.dataDir, ['keys', 'revoke', '--account', acc, '--key', created.keyId]);
    expect((await bearer(created.token, '/logs/l.txt')).status).toBe(403);
  });
});
