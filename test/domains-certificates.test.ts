/**
 * TLS certificates for custom domains: uploaded for a verified domain (checked against a fake DNS
 * server), chosen by SNI and replaced without a restart, a handshake for a name without one refused and
 * logged, bad uploads refused, and the list with expiry dates. The domains themselves: domains.test.ts.
 */
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { api } from './helpers/api.ts';
import type { FakeDns } from './helpers/dns.ts';
import { domainsServerPerFile } from './helpers/domains.ts';
import type { RunningServer } from './helpers/server.ts';

let srv: RunningServer;
let dns: FakeDns;
const { makeCert } = domainsServerPerFile((s) => ({ srv, dns } = s));

function peerCertificate(servername: string): Promise<{ subject: string; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const sock = connect(
      { host: '127.0.0.1', port: srv.httpsPort!, servername, rejectUnauthorized: false },
      () => {
        const c = sock.getPeerCertificate();
        resolve({ subject: c.subject.CN as string, fingerprint: c.fingerprint256 });
        sock.end();
      },
    );
    sock.on('error', reject);
  });
}

describe('certificates', () => {
  it(
    "HTTPS picks each domain's certificate by SNI, and a replacement or removal from the next " +
      'handshake on, without a restart',
    async () => {
      for (const host of ['a.example.test', 'b.example.test']) {
        const d = await (await api(srv, 'POST', '/admin/buckets/media/domains', { hostname: host })).json();
        dns.txt.set(`_qoima-challenge.${host}`, [d.txtRecord.value]);
        await api(srv, 'POST', `/admin/buckets/media/domains/${host}/verify`);
        const res = await api(
          srv,
          'PUT',
          `/admin/buckets/media/domains/${host}/certificate`,
          await makeCert(host),
        );
        expect(res.status, await res.clone().text()).toBe(200);
      }
      const a = await peerCertificate('a.example.test');
      const b = await peerCertificate('b.example.test');
      expect(a.subject).toBe('a.example.test');
      expect(b.subject).toBe('b.example.test');
      expect(a.fingerprint).not.toBe(b.fingerprint);

      // an HTTPS request on the domain is served from the bucket
      const body = await new Promise<string>((resolve, reject) => {
        httpsRequest(
          {
            host: '127.0.0.1',
            port: srv.httpsPort!,
            path: '/cat.jpg',
            servername: 'a.example.test',
            headers: { host: 'a.example.test' },
            rejectUnauthorized: false,
          },
          (res) => {
            let out = '';
            res.on('data', (d) => (out += d));
            res.on('end', () => resolve(out));
          },
        )
          .on('error', reject)
          .end();
      });
      expect(body).toBe('meow');

      await api(
        srv,
        'PUT',
        '/admin/buckets/media/domains/a.example.test/certificate',
        await makeCert('a.example.test', 60),
      );
      // the very next handshake gets the new certificate (the cache follows the settings generation)
      expect((await peerCertificate('a.example.test')).fingerprint).not.toBe(a.fingerprint);
      // and the next one after a removal has none (this server has no certificate of its own)
      const removed = await api(srv, 'DELETE', '/admin/buckets/media/domains/b.example.test/certificate');
      expect(removed.status).toBe(204);
      await expect(peerCertificate('b.example.test')).rejects.toThrow();
      // and one attached again is used from the next handshake on
      const put = await api(
        srv,
        'PUT',
        '/admin/buckets/media/domains/b.example.test/certificate',
        await makeCert('b.example.test'),
      );
      expect(put.status).toBe(200);
      expect((await peerCertificate('b.example.test')).subject).toBe('b.example.test');
    },
  );

  it(
    "a handshake for a name with no certificate (and none of the service's own) is " + 'refused and logged',
    async () => {
      await expect(peerCertificate('nothing.example.test')).rejects.toThrow();
      await srv.logged(/TLS handshake for nothing\.example\.test/);
      expect(srv.output()).toMatch(
        /TLS handshake for nothing\.example\.test from \S+ refused: no certificate/,
      );
    },
  );

  it('refuses a key that does not match, a certificate for another name, and an expired one', async () => {
    const a = await makeCert('a.example.test');
    const b = await makeCert('b.example.test');
    const put = (host: string, body: object) =>
      api(srv, 'PUT', `/admin/buckets/media/domains/${host}/certificate`, body);
    const mismatch = await put('a.example.test', {
      certificatePem: a.certificatePem,
      privateKeyPem: b.privateKeyPem,
    });
    expect(mismatch.status).toBe(400);
    expect((await mismatch.json()).error.message).toContain('does not belong');
    const otherName = await put('a.example.test', b);
    expect((await otherName.json()).error.message).toContain('not valid for a.example.test');
    const expired = await put('a.example.test', await makeCert('a.example.test', -1));
    expect((await expired.json()).error.message).toContain('expired');
    const garbage = await put('a.example.test', { certificatePem: 'not a pem', privateKeyPem: 'nope' });
    expect(garbage.status).toBe(400);
  });

  it('lists certificates with their expiry dates', async () => {
    const { certificates } = await (await api(srv, 'GET', '/admin/certificates')).json();
    expect(certificates.map((c: { hostname: string }) => c.hostname).sort()).toEqual([
      'a.example.test',
      'b.example.test',
    ]);
    for (const c of certificates) {
      expect(Date.parse(c.notAfter)).toBeGreaterThan(Date.now());
      expect(c.daysLeft).toBeGreaterThanOrEqual(29);
    }
  });
});
