import { h, s } from './dom';

/**
 * Hand-made SVG line charts: a few polylines over hourly buckets, with labelled horizontal
 * threshold lines. Colours come from classes in styles.css; the chart is one `role="img"` with a
 * sentence for screen readers, and the numbers are in a table beside it.
 */

export interface ChartSeries {
  readonly name: string;
  /** A class from styles.css: series-1 ... series-4. */
  readonly tone: string;
  /** One value per label; null where there is nothing to plot (a rate of an hour without sends). */
  readonly values: readonly (number | null)[];
}

export interface ChartLine {
  readonly value: number;
  readonly label: string;
  readonly tone: 'review' | 'pause' | 'warn' | 'guard';
}

export interface ChartSpec {
  /** The chart's accessible name. */
  readonly label: string;
  readonly xLabels: readonly string[];
  readonly series: readonly ChartSeries[];
  readonly lines?: readonly ChartLine[];
  readonly format: (value: number) => string;
  /** Counts: the axis steps are whole numbers. */
  readonly whole?: boolean;
  /**
   * The highest value the axis goes to, so the threshold lines stay readable when one quiet hour
   * has a rate of 100% (one bounce of one send); higher points sit on the top edge, marked.
   */
  readonly ceiling?: number;
}

const W = 960;
const H = 280;
const LEFT = 60;
const RIGHT = 150;
const TOP = 14;
const BOTTOM = 30;

export function lineChart(spec: ChartSpec): HTMLElement {
  const n = spec.xLabels.length;
  const dataMax = Math.max(0, ...spec.series.flatMap((series) => series.values.filter((v): v is number => v !== null)));
  const lineMax = Math.max(0, ...(spec.lines ?? []).map((line) => line.value));
  // Four grid steps of a round size, so the axis reads 0, 5, 10, 15, 20 rather than 0, 13, 25, 38.
  const top = Math.min(Math.max(dataMax, lineMax * 1.1), spec.ceiling ?? Infinity) || 1;
  const yMax = 4 * (spec.whole ? Math.max(1, Math.ceil(niceCeiling(top / 4))) : niceCeiling(top / 4));
  const x = (i: number): number => LEFT + (n <= 1 ? (W - LEFT - RIGHT) / 2 : (i * (W - LEFT - RIGHT)) / (n - 1));
  const y = (v: number): number => TOP + (1 - Math.min(v, yMax) / yMax) * (H - TOP - BOTTOM);

  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': spec.label, class: 'chart', focusable: 'false' }, s('title', null, spec.label));
  for (let tick = 0; tick <= 4; tick++) {
    const value = (yMax * tick) / 4;
    svg.append(
      s('line', { x1: LEFT, x2: W - RIGHT, y1: y(value), y2: y(value), class: 'grid' }),
      s('text', { x: LEFT - 8, y: y(value) + 4, class: 'axis', 'text-anchor': 'end' }, spec.format(value)),
    );
  }
  const step = Math.max(1, Math.ceil(n / 6));
  for (let i = 0; i < n; i += step) {
    svg.append(s('text', { x: x(i), y: H - 10, class: 'axis', 'text-anchor': 'middle' }, spec.xLabels[i] ?? ''));
  }
  // Labels of lines close together are pushed apart (from the bottom up) so none overlaps.
  let lowestFree = Infinity;
  for (const line of [...(spec.lines ?? [])].sort((a, b) => a.value - b.value)) {
    const labelY = Math.min(y(line.value) + 4, lowestFree);
    lowestFree = labelY - 13;
    svg.append(
      s('line', { x1: LEFT, x2: W - RIGHT, y1: y(line.value), y2: y(line.value), class: `threshold threshold-${line.tone}` }),
      s('text', { x: W - RIGHT + 6, y: labelY, class: `threshold-label threshold-${line.tone}` }, `${line.label} ${spec.format(line.value)}`),
    );
  }
  for (const series of spec.series) {
    for (const run of runs(series.values)) {
      if (run.length === 1) {
        const [i, v] = run[0]!;
        svg.append(s('circle', { cx: x(i), cy: y(v), r: 3, class: `dot ${series.tone}` }));
      } else {
        svg.append(s('polyline', { points: run.map(([i, v]) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' '), class: `plot ${series.tone}` }));
      }
    }
  }
  const offScale = dataMax > yMax;
  if (offScale) {
    svg.append(s('text', { x: LEFT + 6, y: TOP + 12, class: 'axis' }, `▲ points on the top edge are higher (up to ${spec.format(dataMax)})`));
  }
  const legend = h(
    'ul',
    { class: 'legend' },
    spec.series.map((series) => h('li', null, h('span', { class: `swatch ${series.tone}`, 'aria-hidden': 'true' }), series.name)),
    (spec.lines ?? []).map((line) => h('li', null, h('span', { class: `swatch-line threshold-${line.tone}`, 'aria-hidden': 'true' }), `${line.label} (${spec.format(line.value)})`)),
  );
  return h('figure', { class: 'chart-figure' }, svg, legend);
}

/** Consecutive points with values, so a gap (null) breaks the line. */
function runs(values: readonly (number | null)[]): [number, number][][] {
  const result: [number, number][][] = [];
  let current: [number, number][] = [];
  values.forEach((value, i) => {
    if (value === null) {
      if (current.length > 0) result.push(current);
      current = [];
    } else current.push([i, value]);
  });
  if (current.length > 0) result.push(current);
  return result;
}

/** 1, 2, 2.5 or 5 times a power of ten, at or above `value`. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const factor of [1, 2, 2.5, 5, 10]) if (factor * power >= value) return factor * power;
  return 10 * power;
}
