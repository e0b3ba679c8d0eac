/**
 * Bar charts as inline SVG: no library, readable without colour (every bar has a title and a table behind
 * it).
 */
import type { FC } from 'hono/jsx';

export interface Series {
  label: string;
  values: number[];
  /** CSS class of the bars: `bar` or `bar2`. */
  cls: string;
}

const W = 640;
const H = 200;
const PAD = { left: 56, right: 8, top: 10, bottom: 24 };

export const BarChart: FC<{
  title: string;
  days: string[];
  series: Series[];
  format: (n: number) => string;
}> = (p) => {
  const max = Math.max(1, ...p.series.flatMap((s) => s.values));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, p.days.length);
  const barW = Math.max(1, (slot * 0.8) / p.series.length);
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  return (
    <figure class="card">
      <figcaption>
        <strong>{p.title}</strong>
        {p.series.length > 1 ? (
          <span class="muted small">{` — ${p.series.map((s, i) => `${i === 0 ? 'blue' : 'orange'}: ${s.label}`).join(', ')}`}</span>
        ) : null}
      </figcaption>
      <svg
        class="chart"
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`${p.title}, daily, peak ${p.format(max)}`}
      >
        {[0, 0.5, 1].map((f) => (
          <>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(max * f)} y2={y(max * f)} stroke="#d0d7de" />
            <text x={PAD.left - 4} y={y(max * f) + 4} text-anchor="end">
              {p.format(max * f)}
            </text>
          </>
        ))}
        {p.days.map((d, i) => (
          <>
            {p.series.map((s, j) => {
              const v = s.values[i] ?? 0;
              return (
                <rect
                  class={s.cls}
                  x={PAD.left + i * slot + slot * 0.1 + j * barW}
                  y={y(v)}
                  width={barW}
                  height={Math.max(0, PAD.top + plotH - y(v))}
                >
                  <title>{`${d}: ${s.label} ${p.format(v)}`}</title>
                </rect>
              );
            })}
            {i % Math.ceil(p.days.length / 8) === 0 ? (
              <text x={PAD.left + i * slot + slot / 2} y={H - 6} text-anchor="middle">
                {d.slice(8)}
              </text>
            ) : null}
          </>
        ))}
      </svg>
    </figure>
  );
};

/** A month's day-by-day figures, as the API's daily usage gives them (an account's or one bucket's). */
export interface DailySeries {
  days: { day: string; storedBytes: number; bytesOut: number; bytesIn: number; requests: number }[];
}

/** The three charts of a month: stored bytes, traffic out and in, requests. */
export const MonthCharts: FC<{
  series: DailySeries;
  bytes: (n: number) => string;
  count: (n: number) => string;
}> = ({ series, bytes, count }) => {
  const days = series.days.map((d) => d.day);
  return (
    <>
      <BarChart
        title="Stored (daily average)"
        days={days}
        series={[{ label: 'stored', values: series.days.map((d) => d.storedBytes), cls: 'bar' }]}
        format={bytes}
      />
      <BarChart
        title="Traffic"
        days={days}
        series={[
          { label: 'out', values: series.days.map((d) => d.bytesOut), cls: 'bar' },
          { label: 'in', values: series.days.map((d) => d.bytesIn), cls: 'bar2' },
        ]}
        format={bytes}
      />
      <BarChart
        title="Requests"
        days={days}
        series={[{ label: 'requests', values: series.days.map((d) => d.requests), cls: 'bar' }]}
        format={(n) => count(Math.round(n))}
      />
    </>
  );
};
