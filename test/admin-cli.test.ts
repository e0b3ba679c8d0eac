/**
 * The admin CLI as an operator meets it: pointed at a directory with no store, a command that only
 * reads is refused (and creates nothing); one that writes says loudly that it made a new store; an
 * error is one line and a hint, not the whole list of commands.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, removeDir, tempDir, waitForExit } from './helpers/server.ts';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map(removeDir)));

/** Runs the CLI; resolves with its exit code and output (whatever the code). */
async function cli(dataDir: string, args: string[]) {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/node/admin.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, QOIMA_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return { code: await waitForExit(proc), stdout, stderr };
}

async function emptyDir(): Promise<string> {
  const dir = join(await tempDir(), 'storage');
  dirs.push(dir);
  return dir;
}

describe('a data directory with no store', () => {
  it('refuses a command that only reads, says where to point it, and creates nothing', async () => {
    const dir = await emptyDir();
    const r = await cli(dir, ['accounts', 'list', '--json']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`no Qoima store in ${dir}`);
    expect(r.stderr).toContain('QOIMA_DATA_DIR');
    expect(existsSync(join(dir, 'qoima.db'))).toBe(false);
  });

  it('lets a command that writes make the store, warning loudly that it is new', async () => {
    const dir = await emptyDir();
    const r = await cli(dir, ['accounts', 'create', '--name', 'Acme', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/WARNING: .* held no Qoima store; a new, empty one was created there/);
    expect(JSON.parse(r.stdout).accountId).toBeTruthy();
    // from now on it is a store: reading is fine and quiet
    const list = await cli(dir, ['accounts', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(list.stderr).toBe('');
    expect(JSON.parse(list.stdout)).toHaveLength(1);
  });
});

describe('errors', () => {
  it('are one line and the command’s own usage, not the list of every command', async () => {
    const dir = await emptyDir();
    await cli(dir, ['accounts', 'create', '--name', 'Acme']);
    const r = await cli(dir, ['quotas', 'show']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      'admin: quotas show needs --account VALUE',
      expect.stringMatching(/^usage: npm run --silent admin -- quotas show --account ID/),
    ]);
    const unknown = await cli(dir, ['acounts', 'list']);
    expect(unknown.stderr.trim().split('\n')).toEqual([
      'admin: unknown command "acounts list"',
      'every command: npm run --silent admin -- help',
    ]);
  });
});
