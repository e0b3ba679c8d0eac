/**
 * `npm run bench`: Qoima against baselines measured in the same run on the same machine, printed as one
 * table (README "Performance"). Each file of `rows/` exports `rows: Row[]` (see lib/context.ts); a new
 * comparison is one new file there. Servers start on first use and are all stopped at the end.
 *  - BENCH_ONLY: a regular expression over "<file group> <what> · <who>", e.g.
 *    `small`, `get-large`, `log`, `put`, `rss`, `deno`, `ceph`, or `4 KiB.*Qoima anonymous`; the rows a
 *    selected row compares with are measured too.
 *  - BENCH_SECONDS (default 5): each wrk run's length.
 *  - QOIMA_WORKERS and any other QOIMA_* setting pass through to the Qoima servers under test.
 *  - BENCH_NODE_ARGS: flags for the Node server's `node` (e.g. --cpu-prof).
 * Needs Debian's nginx, wrk and valgrind (installed with apt-get when missing, as root); the `ceph` rows need
 * Debian's ceph-mon, ceph-osd and radosgw (as the Ceph tests do).
 */
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench, label, type Row } from './lib/context.ts';
import { ensureTools } from './lib/procs.ts';
import { render } from './lib/table.ts';

// the SDK's notice about future Node versions says nothing about this machine's figures
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;

/** Every row of `rows/`, in file order, each with its group (the file name less its order prefix). */
async function loadRows(): Promise<{ group: string; row: Row }[]> {
  const dir = join(import.meta.dirname, 'rows');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.ts')).sort();
  const all: { group: string; row: Row }[] = [];
  for (const f of files) {
    const mod = (await import(join(dir, f))) as { rows: Row[] };
    const group = f.replace(/^\d+-/, '').replace(/\.ts$/, '');
    for (const row of mod.rows) all.push({ group, row });
  }
  return all;
}

async function main() {
  ensureTools();
  const all = await loadRows();
  const byLabel = new Map(all.map(({ row }) => [label(row), row]));
  const work = await mkdtemp(join(tmpdir(), 'qoima-bench-'));
  await chmod(work, 0o755); // nginx's workers read the web root
  const b = new Bench(work, byLabel);
  const workers = process.env.QOIMA_WORKERS;
  // a row that cannot be measured (a Ceph cluster that did not come up) is named under the table,
  // and the others are still printed: minutes of measurements are not thrown away for one of them
  const failures: string[] = [];
  try {
    for (const { group, row } of all) {
      if (ONLY && !ONLY.test(`${group} ${label(row)}`)) continue;
      try {
        for (const c of row.compare ?? []) await b.figure(c.row);
        await b.figure(label(row));
      } catch (e) {
        failures.push(`${label(row)}: ${(e as Error).message.split('\n')[0]}`);
        for (const [l, f] of [...b.measured])
          if (
            await f.then(
              () => false,
              () => true,
            )
          )
            b.measured.delete(l);
      }
    }
    console.log(`Qoima workers: ${workers ?? "the server's default"}; wrk -t2, ${new Date().toISOString()}`);
    console.log(
      await render(
        all.map((r) => r.row),
        b.measured,
      ),
    );
    for (const f of failures) console.log(`not measured: ${f}`);
    if (failures.length) process.exitCode = 1;
  } finally {
    await b.stopAll();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error('bench failed:', e);
  process.exit(1);
});
