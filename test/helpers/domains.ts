/**
 * For the custom domain tests (test/domains*.test.ts): per file, a fake DNS server, a server that asks it
 * for TXT records and serves HTTPS, with a public-read bucket `media` (cat.jpg, index.html) made by the
 * root user; and self-signed certificates to upload.
 */
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { api } from './api.ts';
import { selfSignedCert } from './certs.ts';
import { type FakeDns, startFakeDns } from './dns.ts';
import { s3 } from './s3.ts';
import { type RunningServer, removeDir, startServer, tempDir } from './server.ts';

export interface DomainsSetup {
  srv: RunningServer;
  /** The root user's SDK client. */
  client: S3Client;
  dns: FakeDns;
}

/** Registers the file's servers (handed to `ready` before the tests); returns how to make certificates. */
export function domainsServerPerFile(ready: (s: DomainsSetup) => unknown) {
  let srv: RunningServer;
  let dns: FakeDns;
  let certDir: string;

  /** A self-signed certificate for `name`, valid `days` (negative: already expired), as the API takes it. */
  async function makeCert(
    name: string,
    days = 30,
  ): Promise<{ certificatePem: string; privateKeyPem: string }> {
    const { certificatePem, privateKeyPem } = await selfSignedCert(certDir, [name], days);
    return { certificatePem, privateKeyPem };
  }

  beforeAll(async () => {
    dns = await startFakeDns();
    certDir = await tempDir('qoima-certs-');
    srv = await startServer({ env: { QOIMA_DNS_SERVERS: `127.0.0.1:${dns.port}`, QOIMA_HTTPS_PORT: '0' } });
    const client = s3(srv.endpoint, srv.creds);
    await client.send(new CreateBucketCommand({ Bucket: 'media' }));
    await client.send(
      new PutObjectCommand({ Bucket: 'media', Key: 'cat.jpg', Body: 'meow', ContentType: 'image/jpeg' }),
    );
    await client.send(
      new PutObjectCommand({
        Bucket: 'media',
        Key: 'index.html',
        Body: '<h1>media home</h1>',
        ContentType: 'text/html',
      }),
    );
    await api(srv, 'PATCH', '/admin/buckets/media', { accessType: 'public-read' });
    await ready({ srv, client, dns });
  });
  afterAll(async () => {
    await srv.stop();
    dns.close();
    await removeDir(srv.dataDir);
    await removeDir(certDir);
  });

  return { makeCert };
}
