import { createCanvas } from '@napi-rs/canvas';
import { Chart, ChartConfiguration, registerables } from 'chart.js';
import type { HistoryPoint } from './history';

/**
 * History charts: chart.js drawing on @napi-rs/canvas (Skia, prebuilt binaries from npm for x64
 * and ARM, so nothing is compiled on the Pi). Text needs a system font (DejaVu on Debian/Arch).
 */
Chart.register(...registerables);
Chart.defaults.font.family = "'DejaVu Sans', 'Liberation Sans', sans-serif";

export const CHART_COLORS = {
  background: '#ffffff',
  rtt: '#1f5fbf',
  rttBand: 'rgba(31, 95, 191, 0.18)',
  loss: '#d62728',
  lossFill: 'rgba(214, 39, 40, 0.30)',
  linkDown: 'rgba(90, 90, 90, 0.35)',
} as const;

export interface ChartOptions {
  title: string;
  from: number;
  to: number;
  width?: number;
  height?: number;
}

type XY = { x: number; y: number | null };

function timeLabel(ms: number, spanMs: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  const hm = `${p(d.getHours())}:${p(d.getMinutes())}`;
  if (spanMs <= 2 * 3_600_000) return `${hm}:${p(d.getSeconds())}`;
  if (spanMs <= 36 * 3_600_000) return hm;
  return `${p(d.getMonth() + 1)}-${p(d.getDate())} ${hm}`;
}

const STEPS = [10e3, 30e3, 60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3, 7200e3, 10800e3, 21600e3, 43200e3, 86400e3, 172800e3, 604800e3];

/** Tick positions on round local clock times (every 5 min, 1 h, ...), about 6 to 10 of them. */
export function clockTicks(from: number, to: number): number[] {
  const step = STEPS.find((s) => (to - from) / s <= 10) ?? STEPS[STEPS.length - 1];
  const offset = new Date(from).getTimezoneOffset() * 60_000;
  const out: number[] = [];
  for (let t = Math.ceil((from - offset) / step) * step + offset; t <= to; t += step) out.push(t);
  return out;
}

/**
 * Breaks lines where no checks ran (bot stopped) instead of drawing a straight line across. A gap is
 * a step much longer than the usual one between points (the check interval, or the bucket size).
 */
function withGaps(points: HistoryPoint[], value: (p: HistoryPoint) => number | null): XY[] {
  const steps = points.slice(1).map((p, i) => p.at - points[i].at).sort((a, b) => a - b);
  const usual = steps.length ? steps[steps.length >> 1] : 0;
  const out: XY[] = [];
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    const prev = points[i - 1];
    if (prev && p.at - prev.at > Math.max(3 * usual, 2.5 * prev.spanMs)) out.push({ x: prev.at + Math.max(prev.spanMs, usual), y: null });
    out.push({ x: p.at, y: value(p) });
  }
  return out;
}

/** A PNG of rtt (min–max band and average, left axis) and loss (right axis, 0–100 %) over time. */
export function renderHistoryChart(points: HistoryPoint[], opts: ChartOptions): Buffer {
  const width = opts.width ?? 900;
  const height = opts.height ?? 420;
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  const span = opts.to - opts.from;
  const rttMax = Math.max(1, ...points.map((p) => p.rttMaxMs ?? 0));
  const config: ChartConfiguration<'line', XY[]> = {
    type: 'line',
    data: {
      datasets: [
        { label: 'rtt min', data: withGaps(points, (p) => p.rttMinMs), borderWidth: 0, pointRadius: 0, yAxisID: 'rtt', borderColor: 'transparent' },
        { label: 'rtt min–max', data: withGaps(points, (p) => p.rttMaxMs), borderWidth: 0, pointRadius: 0, yAxisID: 'rtt', backgroundColor: CHART_COLORS.rttBand, borderColor: 'transparent', fill: '-1' },
        { label: 'rtt avg (ms)', data: withGaps(points, (p) => p.rttAvgMs), borderWidth: 2, pointRadius: points.length < 40 ? 2 : 0, yAxisID: 'rtt', borderColor: CHART_COLORS.rtt, backgroundColor: CHART_COLORS.rtt },
        { label: 'loss (%)', data: withGaps(points, (p) => p.lossPct), borderWidth: 1.5, pointRadius: 0, yAxisID: 'loss', stepped: 'before', borderColor: CHART_COLORS.loss, backgroundColor: CHART_COLORS.lossFill, fill: 'origin' },
        { label: 'link down', data: withGaps(points, (p) => (p.linkDown > 0 ? 100 : 0)), borderWidth: 0, pointRadius: 0, yAxisID: 'loss', stepped: 'before', borderColor: 'transparent', backgroundColor: CHART_COLORS.linkDown, fill: 'origin' },
      ],
    },
    options: {
      animation: false,
      responsive: false,
      devicePixelRatio: 1,
      spanGaps: false,
      parsing: false,
      normalized: true,
      plugins: {
        title: { display: true, text: opts.title, font: { size: 15, weight: 'bold' } },
        legend: { position: 'bottom', labels: { boxWidth: 14, filter: (item) => item.text !== 'rtt min' } },
      },
      scales: {
        x: {
          type: 'linear',
          min: opts.from,
          max: opts.to,
          ticks: { autoSkip: false, maxRotation: 0, callback: (v) => timeLabel(Number(v), span) },
          afterBuildTicks: (scale) => {
            scale.ticks = clockTicks(opts.from, opts.to).map((value) => ({ value }));
          },
          title: { display: true, text: `time (${Intl.DateTimeFormat().resolvedOptions().timeZone})` },
        },
        rtt: { type: 'linear', position: 'left', min: 0, suggestedMax: rttMax * 1.1, title: { display: true, text: 'round trip (ms)' } },
        loss: { type: 'linear', position: 'right', min: 0, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: 'loss (%)' } },
      },
    },
    plugins: [
      {
        id: 'background',
        beforeDraw: (chart) => {
          const c = chart.ctx;
          c.save();
          c.fillStyle = CHART_COLORS.background;
          c.fillRect(0, 0, chart.width, chart.height);
          c.restore();
        },
      },
    ],
  };
  const chart = new Chart(ctx as unknown as CanvasRenderingContext2D, config);
  try {
    return canvas.toBuffer('image/png');
  } finally {
    chart.destroy();
  }
}
