/**
 * The chunk store's open descriptors (src/local/open-files.ts): one per file however many read it at
 * once, never closed under a reader, at most `max` open, none kept past its idle time.
 */
import { readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenFiles, pread } from '../src/local/open-files.ts';
import { removeDir, tempDir } from './helpers/server.ts';

let dir: string;
const file = (n: number) => join(dir, `f${n}`);
/** Whether this process holds a descriptor of `path` (by what the descriptors name, not their numbers,
 * which the system hands out again once closed; closing is asynchronous, hence the polls). */
const isOpen = (path: string) =>
  readdirSync('/proc/self/fd').some((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false; // (closed meanwhile)
    }
  });
const closed = (path: string) => expect.poll(() => isOpen(path), { timeout: 5000, interval: 10 }).toBe(false);

beforeAll(async () => {
  dir = await tempDir('qoima-open-');
  for (let n = 0; n < 3; n++) writeFileSync(file(n), `file ${n}`);
});
afterAll(() => removeDir(dir));

describe('OpenFiles', () => {
  it('shares one descriptor, keeps it for a reader after it is forgotten, closes it after the last', async () => {
    const files = new OpenFiles(4, 60_000);
    const [a, b] = await Promise.all([files.lease(file(0)), files.lease(file(0))]);
    expect(a!.fd).toBe(b!.fd);
    expect(files.size).toBe(1);
    files.forget(file(0));
    a!.release();
    const buf = Buffer.alloc(6);
    expect(await pread(b!.fd, buf, 0, 6, 0)).toBe(6); // still b's to read
    expect(buf.toString()).toBe('file 0');
    b!.release();
    await closed(file(0));
    expect(await files.lease(join(dir, 'absent'))).toBeNull();
    files.close();
  });

  it('keeps at most `max` open, closing the least recently used first', async () => {
    const files = new OpenFiles(2, 60_000);
    for (const n of [0, 1, 0, 2]) (await files.lease(file(n)))!.release();
    expect(files.size).toBe(2);
    await closed(file(1));
    expect([isOpen(file(0)), isOpen(file(2))]).toEqual([true, true]);
    files.close();
    for (const n of [0, 2]) await closed(file(n));
  });

  it('closes a descriptor nobody used for its idle time', async () => {
    const files = new OpenFiles(4, 50);
    (await files.lease(file(1)))!.release();
    await expect.poll(() => files.size, { timeout: 5000, interval: 20 }).toBe(0);
    await closed(file(1));
    files.close();
  });
});
