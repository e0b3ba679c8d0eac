/**
 * The bench's one table: a line per measured row, grouped by measurement, with p50/p99 latency where
 * wrk measured it, the ratio to each baseline the row names, and each goal beside its figure with
 * met/MISSED.
 */
import { type Figure, label, type Row } from './context.ts';

const num = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function fmtFigure(f: Figure): string {
  const v =
    f.unit === 'req/s'
      ? `${num(f.value)} req/s`
      : f.unit === 'B/s'
        ? `${num(f.value / 1e6)} MB/s`
        : f.unit === 'instr'
          ? `${num(f.value)} instr`
          : `${num(f.value / 1024 ** 2)} MiB`;
  return f.failed ? `${v} (failed: ${f.failed})` : v;
}

// wrk reports 0 when too few requests completed to have a latency (a 256 MiB run on a busy machine)
const fmtMs = (ms: number | undefined) =>
  !ms || Number.isNaN(ms) ? '' : ms < 10 ? `${num(ms, 2)} ms` : `${num(ms, 0)} ms`;

export async function render(rows: Row[], figures: Map<string, Promise<Figure>>): Promise<string> {
  const measured = rows.filter((r) => figures.has(label(r)));
  // rows of one measurement together, in the order each measurement first appears
  const order = [...new Set(measured.map((r) => r.what))];
  measured.sort((a, b) => order.indexOf(a.what) - order.indexOf(b.what));
  const lines: string[][] = [];
  for (const r of measured) {
    const f = await figures.get(label(r))!;
    const ratios: string[] = [];
    const goals: string[] = [];
    const verdicts: string[] = [];
    for (const c of r.compare ?? []) {
      const base = figures.get(c.row);
      if (!base) continue;
      const ratio = f.value / (await base).value;
      ratios.push(`${num(ratio, 2)}× ${c.name}`);
      if (c.goal !== undefined) {
        goals.push(`≥ ${c.goal}× ${c.name}`);
        verdicts.push(ratio >= c.goal ? 'met' : 'MISSED');
      }
    }
    if (r.below) {
      goals.push(r.below.text);
      verdicts.push(f.value < r.below.value ? 'met' : 'MISSED');
    }
    lines.push([
      r.what,
      r.who,
      fmtFigure(f),
      fmtMs(f.p50),
      fmtMs(f.p99),
      ratios.join(', '),
      goals.join(', '),
      verdicts.join(', '),
    ]);
  }
  const head = ['measurement', 'server', 'figure', 'p50', 'p99', 'ratio', 'goal', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const verdicts = lines.flatMap((l) => l[7]!.split(', ').filter(Boolean));
  const missed = verdicts.filter((v) => v === 'MISSED').length;
  return [
    line(head),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...lines.map(line),
    '',
    `goals: ${verdicts.length - missed} met, ${missed} missed`,
  ].join('\n');
}
