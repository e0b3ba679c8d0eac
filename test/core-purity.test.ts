/** The core runs on Node, Deno and Workers alike: it must not import any runtime's own modules. */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/server.ts';

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (/\.tsx?$/.test(e.name)) out.push(p);
  }
  return out;
}

describe('src/core', () => {
  it('imports no node:*, Deno or cloudflare:* module and touches no runtime global', async () => {
    const offenders: string[] = [];
    for (const file of await sources(join(ROOT, 'src/core'))) {
      const text = await readFile(file, 'utf8');
      const bad = [
        ...text.matchAll(/from\s+['"]((?:node|cloudflare|bun):[^'"]+)['"]/g),
        ...text.matchAll(/import\(\s*['"]((?:node|cloudflare|bun):[^'"]+)['"]\s*\)/g),
        ...text.matchAll(/\b(Deno|Bun|process|Buffer|__dirname|require)\s*[.(]/g),
      ].map((m) => m[1] ?? m[0]);
      if (bad.length) offenders.push(`${relative(ROOT, file)}: ${bad.join(', ')}`);
    }
    expect(offenders).toEqual([]);
  });
});
