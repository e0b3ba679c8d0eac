#!/usr/bin/env node
/**
 * Finds import cycles among the TypeScript files under the folders given (type-only imports count:
 * they tie the files together for a reader just the same). Prints each cycle; exits 1 if there is one.
 *
 *   node test/helpers/import-cycles.mjs src/core/api src/core/console
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(name) ? [resolve(p)] : [];
  });
}

/** Every cycle of the import graph of `roots` (files outside them are not followed). */
export function importCycles(roots) {
  const all = new Set(roots.flatMap(files));
  const edges = new Map();
  for (const file of all) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)]
      .map((m) => resolve(dirname(file), m[1]))
      .filter((t, i, list) => all.has(t) && list.indexOf(t) === i);
    edges.set(file, targets);
  }
  const cycles = [];
  const state = new Map(); // 1: on the current path, 2: done
  const path = [];
  const visit = (f) => {
    state.set(f, 1);
    path.push(f);
    for (const t of edges.get(f) ?? []) {
      if (state.get(t) === 1) cycles.push([...path.slice(path.indexOf(t)), t]);
      else if (!state.has(t)) visit(t);
    }
    path.pop();
    state.set(f, 2);
  };
  for (const f of all) if (!state.has(f)) visit(f);
  return cycles.map((c) => c.map((f) => relative(process.cwd(), f)));
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const roots = process.argv.slice(2);
  const cycles = importCycles(roots.length ? roots : ['src/core/api', 'src/core/console']);
  for (const c of cycles) console.log(`cycle: ${c.join(' -> ')}`);
  console.log(cycles.length ? `${cycles.length} import cycle(s)` : 'no import cycles');
  process.exit(cycles.length ? 1 : 0);
}
