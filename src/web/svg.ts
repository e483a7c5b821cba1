/** Charts drawn on the server as SVG: no script, no library, readable by screen readers (role="img" and a label). */
import { html, type Html } from './html.js';

/** A horizontal gauge of a supply's level. */
export function gauge(label: string, percent: number | null): Html {
  const p = percent === null ? 0 : Math.max(0, Math.min(100, percent));
  const colour = percent === null ? '#bbb' : p <= 10 ? '#c0392b' : p <= 25 ? '#d68910' : '#2e7d32';
  const text = percent === null ? `${label}: level unknown` : `${label}: ${p} %`;
  return html`<svg class="gauge" viewBox="0 0 100 8" preserveAspectRatio="none" role="img" aria-label="${text}"><title>${text}</title><rect width="100" height="8" fill="#eee"/><rect width="${p}" height="8" fill="${colour}"/></svg>`;
}

/** A line chart of points over time, with its first and last values and dates as labels. */
export function lineChart(label: string, points: { at: number; value: number }[]): Html {
  if (points.length < 2) return html`<p class="muted">${label}: not enough points yet.</p>`;
  const W = 600;
  const H = 160;
  const [t0, t1] = [points[0]!.at, points[points.length - 1]!.at];
  const values = points.map((p) => p.value);
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  const x = (t: number) => (t1 === t0 ? 0 : ((t - t0) / (t1 - t0)) * (W - 60) + 50);
  const y = (v: number) => (hi === lo ? H / 2 : H - 20 - ((v - lo) / (hi - lo)) * (H - 40));
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  const summary = `${label}: from ${values[0]} on ${day(t0)} to ${values[values.length - 1]} on ${day(t1)}, ${points.length} readings`;
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${summary}"><title>${summary}</title>
<line x1="50" y1="${H - 20}" x2="${W - 10}" y2="${H - 20}" stroke="#999"/><line x1="50" y1="10" x2="50" y2="${H - 20}" stroke="#999"/>
<text x="45" y="${y(hi) + 4}" text-anchor="end" font-size="11">${hi}</text><text x="45" y="${y(lo) + 4}" text-anchor="end" font-size="11">${lo}</text>
<text x="50" y="${H - 4}" font-size="11">${day(t0)}</text><text x="${W - 10}" y="${H - 4}" text-anchor="end" font-size="11">${day(t1)}</text>
<path d="${path}" fill="none" stroke="#1f5fa8" stroke-width="2"/></svg>`;
}

/** A bar chart of one figure a day, with its total and busiest day as the label for screen readers. */
export function barChart(label: string, bars: { day: string; value: number }[]): Html {
  if (bars.length === 0) return html`<p class="muted">${label}: nothing yet.</p>`;
  const W = 600;
  const H = 160;
  const hi = Math.max(1, ...bars.map((b) => b.value));
  const slot = (W - 60) / bars.length;
  const total = bars.reduce((a, b) => a + b.value, 0);
  const busiest = bars.reduce((a, b) => (b.value > a.value ? b : a));
  const summary = `${label}: ${total} in all from ${bars[0]!.day} to ${bars[bars.length - 1]!.day}${total ? `, most on ${busiest.day} (${busiest.value})` : ''}`;
  const bar = (b: { day: string; value: number }, i: number) => {
    const h = (b.value / hi) * (H - 40);
    return html`<rect x="${(50 + i * slot + slot * 0.1).toFixed(1)}" y="${(H - 20 - h).toFixed(1)}" width="${(slot * 0.8).toFixed(1)}" height="${h.toFixed(1)}" fill="#1f5fa8"><title>${b.day}: ${b.value}</title></rect>`;
  };
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${summary}"><title>${summary}</title>
<line x1="50" y1="${H - 20}" x2="${W - 10}" y2="${H - 20}" stroke="#999"/><text x="45" y="24" text-anchor="end" font-size="11">${hi}</text><text x="45" y="${H - 16}" text-anchor="end" font-size="11">0</text>
<text x="50" y="${H - 4}" font-size="11">${bars[0]!.day}</text><text x="${W - 10}" y="${H - 4}" text-anchor="end" font-size="11">${bars[bars.length - 1]!.day}</text>
${bars.map(bar)}</svg>`;
}
