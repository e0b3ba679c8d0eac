/**
 * The README's shell blocks, run in order as a reader would run them: one bash session against a real
 * server, in a directory whose `storage` is the server's data directory, with `storage/qoima.env`
 * sourced. A block that cannot run here is marked `<!-- docs-test: skip (reason) -->` on the line
 * before it; there may be at most MAX_SKIPS. The reader's own files (cat.jpg, photo.jpg) are provided.
 * `npm run ...` runs in the repository (as it would in the reader's clone).
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type RunningServer, removeDir, startServer, tempDir, waitForExit } from './helpers/server.ts';

const MAX_SKIPS = 8;

interface Block {
  line: number;
  code: string;
  skip: string | null;
}

/** Every ```sh / ```bash / ```shell block, with its skip mark (the reason) if it has one. */
function shellBlocks(readme: string): Block[] {
  const lines = readme.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.indexOf('```', i + 1);
    if (['sh', 'bash', 'shell'].includes(open[1]!)) {
      const mark = /^<!-- docs-test: skip \((.+)\) -->$/.exec(lines[i - 1] ?? '');
      blocks.push({ line: i + 1, code: lines.slice(i + 1, end).join('\n'), skip: mark ? mark[1]! : null });
    }
    i = end;
  }
  return blocks;
}

let srv: RunningServer;
let work: string;
let blocks: Block[];

beforeAll(async () => {
  blocks = shellBlocks(await readFile(join(ROOT, 'README.md'), 'utf8'));
  srv = await startServer();
  work = await tempDir('qoima-docs-');
  await symlink(srv.dataDir, join(work, 'storage'));
  await writeFile(join(work, 'cat.jpg'), Buffer.from('\xff\xd8\xff\xe0 not really a cat', 'latin1'));
  await writeFile(join(work, 'photo.jpg'), Buffer.from('\xff\xd8\xff\xe0 a photo', 'latin1'));
  await mkdir(join(work, 'home'));
});
afterAll(async () => {
  await srv?.stop();
  if (srv) await removeDir(srv.dataDir);
  if (work) await removeDir(work);
});

describe('the README', () => {
  it('is followed with the env file the server writes, which only its owner can read', async () => {
    const env = join(srv.dataDir, 'qoima.env');
    expect((await stat(env)).mode & 0o777).toBe(0o600);
    expect(await readFile(env, 'utf8')).toContain(
      `export AWS_SECRET_ACCESS_KEY='${srv.creds.secretAccessKey}'`,
    );
    expect(srv.output()).toMatch(/qoima: first account acc\w+; for a shell: source \S+qoima\.env/);
  });

  it('marks few blocks as not runnable here, each with a reason', () => {
    const skipped = blocks.filter((b) => b.skip !== null);
    expect(blocks.length - skipped.length).toBeGreaterThan(5);
    expect(skipped.length, skipped.map((b) => `line ${b.line}: ${b.skip}`).join('\n')).toBeLessThanOrEqual(
      MAX_SKIPS,
    );
  });

  it('runs every other shell block as written, in order, after one `source storage/qoima.env`', async () => {
    const script = [
      'set -eo pipefail',
      // npm scripts run in the reader's clone of the repository
      `npm() { command npm --prefix ${JSON.stringify(ROOT)} "$@"; }`,
      'source storage/qoima.env',
      ...blocks.filter((b) => b.skip === null).map((b) => `echo "### README line ${b.line}" >&2\n${b.code}`),
      'echo "### all blocks ran" >&2',
    ].join('\n');
    const proc = spawn('bash', ['-c', script], {
      cwd: work,
      // the reader's own aws-cli configuration must not leak in
      env: {
        PATH: process.env.PATH!,
        HOME: join(work, 'home'),
        npm_config_cache: join(work, 'home', '.npm'),
        AWS_CONFIG_FILE: join(work, 'home', 'aws-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(work, 'home', 'aws-credentials'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await waitForExit(proc);
    const last = [...out.matchAll(/### (README line \d+|all blocks ran)/g)].at(-1)?.[1];
    expect({ code, last }, out.slice(-4000)).toEqual({ code: 0, last: 'all blocks ran' });
    // what the blocks did is there: the bucket and its object, the account the CLI made
    expect(out).toMatch(/cat\.jpg/);
    expect(out).toMatch(/"accountId":"/);
  }, 600_000);
});
