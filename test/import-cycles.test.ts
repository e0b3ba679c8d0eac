/** The API and the console import one way: no file of theirs leads back to itself (issue 13). */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/server.ts';

describe('imports', () => {
  it('have no cycle in src/core/api or src/core/console', () => {
    const run = spawnSync(
      process.execPath,
      [join(ROOT, 'test/helpers/import-cycles.mjs'), 'src/core/api', 'src/core/console'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(run.stdout.trim()).toBe('no import cycles'); // else it lists each cycle
  });
});
