/**
 * `curl --aws-sigv4` as Debian 12 ships it (7.88.1): it signs the SHA-256 of the body it sends but
 * sends no x-amz-content-sha256. The JSON API and small S3 uploads hash the body they got and check the
 * signature against that; a body over 1 MiB must state its hash; a mismatch says what did not match.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, removeDir, startServer } from './helpers/server.ts';

const run = promisify(execFile);
let srv: RunningServer;

/** curl with --aws-sigv4 and the root user's keys; resolves with the status and the body. */
async function curl(args: string[], user = `${srv.creds.accessKeyId}:${srv.creds.secretAccessKey}`) {
  const { stdout } = await run('curl', [
    '-sS',
    '--aws-sigv4',
    'aws:amz:us-east-1:s3',
    '--user',
    user,
    '-w',
    '\n%{http_code}',
    ...args,
  ]);
  const at = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) };
}

beforeAll(async () => {
  srv = await startServer();
  const made = await curl(['-X', 'PUT', `${srv.endpoint}/photos`]);
  expect(made.status).toBe(200);
});
afterAll(async () => {
  await srv.stop();
  await removeDir(srv.dataDir);
});

describe('curl --aws-sigv4 with a body and no x-amz-content-sha256', () => {
  it('changes a bucket through the JSON API (PATCH) and makes an upload form (POST)', async () => {
    const json = ['-H', 'content-type: application/json'];
    const patch = await curl([
      ...json,
      '-X',
      'PATCH',
      '-d',
      '{"accessType":"public-read","defaultCacheControl":"public, max-age=86400"}',
      `${srv.endpoint}/admin/buckets/photos`,
    ]);
    expect(patch.status, patch.body).toBe(200);
    const form = await curl([
      ...json,
      '-d',
      '{"keyPrefix":"uploads/"}',
      `${srv.endpoint}/admin/buckets/photos/presigned-post`,
    ]);
    expect(form.status, form.body).toBe(200);
    expect(JSON.parse(form.body).fields.key).toBe('uploads/${filename}');
  });

  it('uploads a small object (PUT --data-binary) that reads back byte for byte', async () => {
    const file = join(srv.dataDir, 'note.txt');
    await writeFile(file, 'hello from curl\n');
    const put = await curl(['-X', 'PUT', '--data-binary', `@${file}`, `${srv.endpoint}/photos/note.txt`]);
    expect(put.status, put.body).toBe(200);
    const get = await curl([`${srv.endpoint}/photos/note.txt`]);
    expect(get.body).toBe('hello from curl\n');
  });

  it('curl -T signs an empty body: refused, saying so and what to send; with UNSIGNED-PAYLOAD it works', async () => {
    const file = join(srv.dataDir, 'upload.txt');
    await writeFile(file, 'uploaded with -T\n');
    const bad = await curl(['-T', file, `${srv.endpoint}/photos/upload.txt`]);
    expect(bad.status).toBe(403);
    expect(bad.body).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(bad.body).toContain('signed as if it had no body');
    expect(bad.body).toContain('<CanonicalRequest>PUT');
    const ok = await curl([
      '-H',
      'x-amz-content-sha256: UNSIGNED-PAYLOAD',
      '-T',
      file,
      `${srv.endpoint}/photos/upload.txt`,
    ]);
    expect(ok.status, ok.body).toBe(200);
    expect((await curl([`${srv.endpoint}/photos/upload.txt`])).body).toBe('uploaded with -T\n');
  });

  it('refuses a body over 1 MiB, naming the header it needs, and keeps nothing', async () => {
    const file = join(srv.dataDir, 'big.bin');
    await writeFile(file, Buffer.alloc(1024 * 1024 + 1, 7));
    const put = await curl(['-T', file, `${srv.endpoint}/photos/big.bin`]);
    expect(put.status).toBe(400);
    expect(put.body).toContain('x-amz-content-sha256');
    expect((await curl(['-I', `${srv.endpoint}/photos/big.bin`])).status).toBe(404);
  });

  it('a wrong secret is still refused, and the error says what the signature was checked with', async () => {
    const bad = await curl(
      [
        '-X',
        'PATCH',
        '-H',
        'content-type: application/json',
        '-d',
        '{"accessType":"private"}',
        `${srv.endpoint}/admin/buckets/photos`,
      ],
      `${srv.creds.accessKeyId}:wrong`,
    );
    expect(bad.status).toBe(403);
    const { error } = JSON.parse(bad.body);
    expect(error.code).toBe('SignatureDoesNotMatch');
    expect(error.message).toContain('no x-amz-content-sha256 header: the body sent was hashed');
  });
});
