/** The core runs on Node, Deno and Workers alike: it must not import any runtime's own modules. */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
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

describe('the runtime entries', () => {
  it('the core imports nothing from an entry (src/node, src/deno, src/workers)', async () => {
    const offenders: string[] = [];
    for (const file of await sources(join(ROOT, 'src/core'))) {
      for (const m of (await readFile(file, 'utf8')).matchAll(/from\s+['"](\.[^'"]+)['"]/g)) {
        const target = relative(join(ROOT, 'src/core'), resolve(dirname(file), m[1]!));
        if (target.startsWith('..')) offenders.push(`${relative(ROOT, file)} imports ${m[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('Deno and the shared local code (src/local) import nothing from the Node entry', async () => {
    const offenders: string[] = [];
    for (const dir of ['src/deno', 'src/local']) {
      for (const file of await sources(join(ROOT, dir))) {
        for (const m of (await readFile(file, 'utf8')).matchAll(/from\s+['"](\.[^'"]+)['"]/g)) {
          const target = relative(ROOT, resolve(dirname(file), m[1]!));
          if (/^src\/(node|deno|workers)\//.test(target) && !target.startsWith(dir))
            offenders.push(`${relative(ROOT, file)} imports ${m[1]}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('settings are read only through the settings schema (core/config.ts)', async () => {
    const offenders: string[] = [];
    for (const file of await sources(join(ROOT, 'src'))) {
      const text = await readFile(file, 'utf8');
      for (const m of text.matchAll(/(?:process\.env|Deno\.env\.get\(|env)\.?\[?['"(]?(QOIMA_\w+)/g))
        offenders.push(`${relative(ROOT, file)} reads ${m[1]}`);
    }
    expect(offenders).toEqual([]);
  });

  it('the worker bundles every migration in the journal', async () => {
    const journal = JSON.parse(await readFile(join(ROOT, 'migrations/meta/_journal.json'), 'utf8')) as {
      entries: { tag: string }[];
    };
    const bundled = await readFile(join(ROOT, 'src/workers/migrations.ts'), 'utf8');
    for (const { tag } of journal.entries) {
      expect(bundled).toContain(`'../../migrations/${tag}.sql'`);
      expect(bundled).toContain(`'${tag}':`);
    }
  });
});
