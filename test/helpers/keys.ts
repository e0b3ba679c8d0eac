/**
 * For the access key tests (test/keys*.test.ts): one server per file with the buckets `photos`
 * (public/a.jpg, private/b.jpg) and `logs` (l.txt), keys issued through its JSON API, requests made with
 * a key's token as a Bearer, and the AccessDenied they should get.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { api } from './api.ts';
import { serverPerFile } from './s3.ts';
import type { RunningServer } from './server.ts';

export interface IssuedKey {
  keyId: string;
  accessKeyId: string;
  secretAccessKey: string;
  token: string;
  scopes: unknown[];
}

/** Registers the file's server (handed to `ready` before the tests) and returns how to use keys on it. */
export function keysServerPerFile(ready: (srv: RunningServer) => unknown) {
  let srv: RunningServer;
  serverPerFile(['photos', 'logs'], async (s) => {
    const root = s.client;
    for (const k of ['public/a.jpg', 'private/b.jpg'])
      await root.send(new PutObjectCommand({ Bucket: 'photos', Key: k, Body: k }));
    await root.send(new PutObjectCommand({ Bucket: 'logs', Key: 'l.txt', Body: 'log' }));
    await ready((srv = s.srv));
  });

  /** A key with `scopes`, valid for an hour unless `extra` says otherwise, issued by `as` (root). */
  async function issue(
    scopes: { bucket: string; prefix?: string; actions: string[] }[],
    as: { endpoint: string; creds: { accessKeyId: string; secretAccessKey: string } } = srv,
    extra: object = {},
  ): Promise<IssuedKey> {
    const res = await api(as, 'POST', '/admin/keys', {
      name: 'test key',
      scopes,
      expiresInSeconds: 3600,
      ...extra,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return res.json();
  }

  const bearer = (token: string, path: string, init: RequestInit = {}) =>
    fetch(`${srv.endpoint}${path}`, {
      ...init,
      headers: { ...(init.headers ?? {}), authorization: `Bearer ${token}` },
    });

  return { issue, bearer };
}

/** The response is S3's AccessDenied (403), its message matching `why` when given. */
export async function expectDenied(p: Promise<Response>, why?: RegExp) {
  const res = await p;
  expect(res.status).toBe(403);
  const text = await res.text();
  expect(text).toContain('<Code>AccessDenied</Code>');
  if (why) expect(text).toMatch(why);
}
