/**
 * Accounts made through the operator API, each with its own quotas (the server needs QOIMA_OPERATOR_TOKEN).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { api } from './api.ts';
import { s3 } from './s3.ts';
import type { QuotaLimits as Quota, Usage } from '../../src/core/model/quotas.ts';
import type { Creds } from './server.ts';

export const OPERATOR_TOKEN = 'operator-token-for-tests-0123456789';

export function operator(endpoint: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${endpoint}/admin/operator${path}`, {
    method,
    headers: {
      authorization: `Bearer ${OPERATOR_TOKEN}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
}

export interface TestAccount {
  id: string;
  endpoint: string;
  client: S3Client;
  creds: Creds;
  /** Changes the account's quotas (the server forgets its cached ones at once). */
  setQuota: (quota: Partial<Quota>) => Promise<void>;
  /** The account's quotas and usage, as GET /admin/usage shows them. */
  usage: () => Promise<{ quota: Quota; usage: Usage }>;
}

/** A fresh account with its own quotas. */
export async function account(endpoint: string, quota: Partial<Quota> = {}): Promise<TestAccount> {
  const res = await operator(endpoint, 'POST', '/accounts', { name: `acct-${Math.random()}` });
  expect(res.status).toBe(201);
  const a = await res.json();
  const creds = { accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey };
  const setQuota = async (q: Partial<Quota>) => {
    expect((await operator(endpoint, 'PATCH', `/accounts/${a.accountId}/quota`, q)).status).toBe(200);
  };
  await setQuota(quota);
  const usage = async () => (await api({ endpoint, creds }, 'GET', '/admin/usage')).json();
  return { id: a.accountId, endpoint, creds, client: s3(endpoint, creds), setQuota, usage };
}
