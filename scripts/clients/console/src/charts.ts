/**
 * Chart.js, registered with only the parts the console draws (bar and line charts, category and
 * linear scales, legend, tooltip), so the bundle carries nothing else. One chart per figure.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartConfiguration } from 'chart.js';
import type { Figure } from './figures.ts';
import { axisMoney, bytes, money } from './format.ts';

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Legend, Tooltip);

/** Colour-blind-safe palette (Okabe–Ito), one colour per series in order. */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];
/** Tiers keep their colour across charts: warm to cold. */
const TIER_COLOURS: Record<string, string> = {
  STANDARD: '#D55E00',
  INTELLIGENT_TIERING: '#CC79A7',
  STANDARD_IA: '#E69F00',
  ONEZONE_IA: '#F0E442',
  GLACIER_IR: '#009E73',
  GLACIER: '#56B4E9',
  DEEP_ARCHIVE: '#0072B2',
  RESTORED: '#999999',
};

export type ChartKind = 'stacked' | 'stacked-horizontal' | 'horizontal' | 'projection';

function config(figure: Figure, kind: ChartKind): ChartConfiguration {
  const format = figure.unit === 'usd' ? money : bytes;
  const horizontal = kind === 'stacked-horizontal' || kind === 'horizontal';
  const stacked = kind === 'stacked' || kind === 'stacked-horizontal';
  const colour = (key: string, i: number) => TIER_COLOURS[key] ?? PALETTE[i % PALETTE.length]!;
  const datasets = figure.series.map((s, i) => {
    // The projection draws the two policies as bars and their difference as a line.
    const line = kind === 'projection' && s.key === 'difference';
    return {
      type: line ? ('line' as const) : ('bar' as const),
      label: s.label,
      data: [...s.values],
      backgroundColor: colour(s.key, i),
      borderColor: colour(s.key, i),
      ...(stacked ? { stack: 'total' } : {}),
    };
  });
  const tick = figure.unit === 'usd' ? axisMoney : bytes;
  const valueAxis = { stacked, ticks: { callback: (value: string | number) => tick(Number(value)) } };
  const labelAxis = { stacked };
  return {
    type: 'bar',
    data: { labels: [...figure.labels], datasets },
    options: {
      indexAxis: horizontal ? 'y' : 'x',
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { display: figure.series.length > 1, position: 'bottom' },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${format(Number(item.raw))}` } },
      },
      scales: horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
    },
  } as ChartConfiguration;
}

/** Draws `figure` on `canvas`, replacing the chart drawn there before. */
export function drawChart(canvas: HTMLCanvasElement, figure: Figure, kind: ChartKind): Chart {
  Chart.getChart(canvas)?.destroy();
  return new Chart(canvas, config(figure, kind));
}
