import { CHART_COLORS, clockTicks, renderHistoryChart } from '../src/monitor/chart';
import type { HistoryPoint } from '../src/monitor/history';
import { countColor, decodePng, PNG_SIGNATURE, pngSize } from './monitor-png';

function points(from: number, to: number, lossy: boolean): HistoryPoint[] {
  const out: HistoryPoint[] = [];
  for (let t = from, i = 0; t < to; t += 10_000, i++) {
    const loss = lossy && i % 40 > 30 ? 60 : 0;
    const avg = 0.5 + (i % 7) * 0.1;
    out.push({ at: t, spanMs: 10_000, checks: 5, sent: 100, received: 100 - loss, lossPct: loss, rttMinMs: avg / 2, rttAvgMs: avg, rttMaxMs: avg * 2, linkDown: 0, rxErrors: 0, txErrors: 0, rxDropped: 0, txDropped: 0 });
  }
  return out;
}

describe('history chart', () => {
  const to = Date.UTC(2026, 0, 10, 12, 0, 0);
  const from = to - 3_600_000;

  test('is a PNG of the requested size with rtt and loss actually drawn', () => {
    const png = renderHistoryChart(points(from, to, true), { title: 'node 3', from, to, width: 800, height: 400 });
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(pngSize(png)).toEqual({ width: 800, height: 400 });
    const img = decodePng(png);
    expect(countColor(img, CHART_COLORS.rtt)).toBeGreaterThan(1500);
    expect(countColor(img, CHART_COLORS.loss)).toBeGreaterThan(100);
    expect(countColor(img, CHART_COLORS.background, 0)).toBeGreaterThan(800 * 400 * 0.5);
  });

  test('without data nothing is plotted, which the colour checks detect', () => {
    const img = decodePng(renderHistoryChart([], { title: 'empty', from, to, width: 800, height: 400 }));
    expect(countColor(img, CHART_COLORS.rtt)).toBeLessThan(300); // only the legend swatch
    const noLoss = decodePng(renderHistoryChart(points(from, to, false), { title: 'no loss', from, to, width: 800, height: 400 }));
    expect(countColor(noLoss, CHART_COLORS.loss)).toBeLessThan(countColor(decodePng(renderHistoryChart(points(from, to, true), { title: 'x', from, to, width: 800, height: 400 })), CHART_COLORS.loss));
  });

  test('raw checks a few seconds apart in a short window are drawn as lines, with a real gap left open', () => {
    const end = from + 240_000;
    // As queryHistory returns them for a 4-minute window: one check per point, span = the merge step.
    const raw = points(from, end, true).map((p, i) => ({ ...p, at: from + i * 2000, spanMs: 400 })).filter((p) => p.at < end && (p.at < from + 100_000 || p.at > from + 160_000));
    const img = decodePng(renderHistoryChart(raw, { title: 'raw', from, to: end, width: 800, height: 400 }));
    expect(countColor(img, CHART_COLORS.rtt)).toBeGreaterThan(600); // the legend swatch alone is ~200
  });

  test('time ticks fall on round clock times', () => {
    const ticks = clockTicks(from + 1234, to);
    expect(ticks.length).toBeGreaterThanOrEqual(5);
    expect(ticks.length).toBeLessThanOrEqual(11);
    const step = ticks[1] - ticks[0];
    expect(step % 60_000).toBe(0);
    for (const t of ticks) expect(new Date(t).getSeconds()).toBe(0);
  });
});
