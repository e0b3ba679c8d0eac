/**
 * For the terms tests through the running server (test/terms*.test.ts): one server per file with an
 * operator token, reached the three ways the terms are: the operator API, the admin CLI and a customer's
 * JSON API, with customers made through the operator API.
 */
import { expect } from 'vitest';
import { api } from './api.ts';
import { serverPerFile } from './s3.ts';
import { type RunningServer, admin } from './server.ts';

const OPERATOR = 'operator-token-for-terms-tests-42';

export interface Customer {
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
  as: { endpoint: string; creds: { accessKeyId: string; secretAccessKey: string } };
}

/** Registers the file's server (handed to `ready` before the tests) and returns the ways to reach it. */
export function termsServerPerFile(ready: (srv: RunningServer) => unknown) {
  let srv: RunningServer;
  serverPerFile([], (s) => ready((srv = s.srv)), {
    env: { QOIMA_OPERATOR_TOKEN: OPERATOR, QOIMA_LOG_FLUSH_MS: '100' },
  });

  const operator = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${srv.endpoint}/admin${path}`, {
      method,
      headers: {
        authorization: `Bearer ${OPERATOR}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: await res.json() };
  };
  const cli = async (...args: string[]) => JSON.parse(await admin(srv.dataDir, [...args, '--json']));
  const as = async (c: Customer, method: string, path: string, body?: unknown) => {
    const res = await api(c.as, method, `/admin${path}`, body);
    return { status: res.status, json: res.status === 204 ? null : await res.json() };
  };

  async function customer(customerId: string): Promise<Customer> {
    const { status, json: a } = await operator('POST', '/operator/accounts', {
      name: customerId,
      customerId,
    });
    expect(status).toBe(201);
    return { ...a, as: { endpoint: srv.endpoint, creds: a } };
  }

  return { operator, cli, as, customer };
}
