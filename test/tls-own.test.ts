/**
 * HTTPS at the service's own address, as an operator tries it with curl: with QOIMA_TLS_CERT /
 * QOIMA_TLS_KEY the console answers at https://127.0.0.1:<port>/console; a handshake that fails (the
 * client distrusts the certificate, or the server has none to offer) is logged with its reason.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCert } from './helpers/certs.ts';
import { type RunningServer, removeDir, startServer, tempDir } from './helpers/server.ts';

const run = promisify(execFile);
const servers: RunningServer[] = [];
let certDir: string;

/** curl's exit code and the status it got (0 when the handshake failed). */
async function curlStatus(url: string, insecure: boolean): Promise<{ rc: number; status: number }> {
  const args = ['-s', '-o', '/dev/null', '-w', '%{http_code}', ...(insecure ? ['-k'] : []), url];
  try {
    const { stdout } = await run('curl', args);
    return { rc: 0, status: Number(stdout) };
  } catch (e) {
    const err = e as { code: number; stdout: string };
    return { rc: err.code, status: Number(err.stdout) };
  }
}

beforeAll(async () => {
  certDir = await tempDir();
});
afterAll(async () => {
  for (const s of servers) {
    await s.stop();
    await removeDir(s.dataDir);
  }
  await removeDir(certDir);
});

describe("the service's own certificate", () => {
  it('serves the console at https://127.0.0.1:<port>/console; a distrusting client is logged', async () => {
    const own = await selfSignedCert(certDir, ['qoima.example.test']);
    const srv = await startServer({
      env: {
        QOIMA_HTTPS_PORT: '0',
        QOIMA_TLS_CERT: own.certificateFile,
        QOIMA_TLS_KEY: own.privateKeyFile,
      },
    });
    servers.push(srv);
    const url = `https://127.0.0.1:${srv.httpsPort}/console/sign-in`;
    expect(await curlStatus(url, true)).toEqual({ rc: 0, status: 200 });
    // curl without -k does not trust a self-signed certificate: it aborts, and the server says why
    expect((await curlStatus(url, false)).rc).not.toBe(0);
    expect(await srv.logged(/TLS handshake without a server name from \S+ failed: .*unknown ca/i)).toMatch(
      /failed: .*unknown ca/i,
    );
  });

  it('without one, a handshake at the address is refused and logged once with how to fix it', async () => {
    const srv = await startServer({ env: { QOIMA_HTTPS_PORT: '0' } });
    servers.push(srv);
    const url = `https://127.0.0.1:${srv.httpsPort}/console`;
    expect((await curlStatus(url, true)).rc).not.toBe(0);
    expect((await curlStatus(url, true)).rc).not.toBe(0);
    const out = await srv.logged(/refused: no certificate/);
    expect(out.match(/TLS handshake without a server name from \S+ refused: no certificate/g)).toHaveLength(
      1,
    );
    expect(out).toContain('QOIMA_TLS_CERT and QOIMA_TLS_KEY');
  });
});
