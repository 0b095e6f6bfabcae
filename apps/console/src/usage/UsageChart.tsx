// Credits by day as bars: a plain SVG (no chart library in the bundle), every day of the range present,
// each bar titled with its numbers; the same data is in the "by day" table for screen readers.
import { formatCredits, formatDay } from '../format';
import { t } from '../strings';
import type { UsageView } from '../types';
import { daysOf } from './range';

const HEIGHT = 160;

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
