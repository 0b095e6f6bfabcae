// Credits by day as bars: a plain SVG (no chart library in the bundle), every day of the range present,
// each bar titled with its numbers; the same data is in the "by day" table for screen readers.
import { formatCredits, formatDay } from '../format';
import { t } from '../strings';
import type { UsageView } from '../types';

const HEIGHT = 160;

/** Every UTC day from `from` up to (not including) `to`, as YYYY-MM-DD. */
export function daysOf(from: string, to: string): string[] {
  const days: string[] = [];
  const end = new Date(to).getTime();
  for (let d = new Date(from.slice(0, 10) + 'T00:00:00Z'); d.getTime() < end && days.length < 400;) {
    days.push(d.toISOString().slice(0, 10));
    d = new Date(d.getTime() + 86_400_000);
  }
  return days;
}

export function UsageChart({ view }: { view: UsageView }) {
  const byDay = new Map(view.series.map((d) => [d.date, d]));
  const days = daysOf(view.from, view.to);
  const max = Math.max(...view.series.map((d) => d.cost), 0) || 1;
  const width = Math.max(days.length * 12, 120);
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${width} ${HEIGHT + 20}`}
        role="img"
        aria-label={t.usage.chartTitle}
        preserveAspectRatio="none"
      >
        {days.map((day, i) => {
          const entry = byDay.get(day);
          const h = entry ? Math.max((entry.cost / max) * HEIGHT, entry.requests > 0 ? 2 : 0) : 0;
          return (
            <rect key={day} x={i * 12 + 2} y={HEIGHT - h} width={8} height={h} className="bar" data-day={day}>
              <title>
                {t.usage.chartDay(formatDay(day), formatCredits(entry?.cost ?? 0), entry?.requests ?? 0)}
              </title>
            </rect>
          );
        })}
        <line x1="0" y1={HEIGHT} x2={width} y2={HEIGHT} className="axis" />
      </svg>
      <figcaption>
        {formatDay(days[0] ?? view.from.slice(0, 10))} –{' '}
        {formatDay(days[days.length - 1] ?? view.to.slice(0, 10))}
      </figcaption>
    </figure>
  );
}
