/**
 * Bar charts drawn with Chart.js in the colours of the VS Code theme: the theme's CSS variables are read at each
 * render (the view renders again when the theme changes), so charts follow light, dark and high-contrast themes.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip, type Plugin } from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

export interface Theme {
  foreground: string;
  muted: string;
  grid: string;
  fontFamily: string;
  fontSize: number;
  /** The theme's chart colours. */
  blue: string;
  orange: string;
  green: string;
  purple: string;
  red: string;
  yellow: string;
}

/**
 * A colour without its transparency: some themes give chart colours an alpha (Dark Modern's orange is
 * rgba(234, 92, 0, 0.33)), which leaves a bar a muddy shade of the background.
 */
export function opaque(color: string): string {
  const rgba = /^rgba\(\s*([^,]+),\s*([^,]+),\s*([^,]+),[^)]*\)$/.exec(color);
  if (rgba) return `rgb(${rgba[1]}, ${rgba[2]}, ${rgba[3]})`;
  if (/^#[0-9a-f]{8}$/i.test(color)) return color.slice(0, 7);
  if (/^#[0-9a-f]{4}$/i.test(color)) return color.slice(0, 4);
  return color;
}

export function readTheme(): Theme {
  const style = getComputedStyle(document.body);
  const css = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const chart = (name: string, fallback: string) => opaque(css(`--vscode-charts-${name}`, fallback));
  return {
    foreground: css('--vscode-foreground', '#cccccc'),
    muted: css('--vscode-descriptionForeground', '#999999'),
    grid: css('--vscode-editorWidget-border', css('--vscode-panel-border', 'rgba(128, 128, 128, 0.35)')),
    fontFamily: css('--vscode-font-family', 'sans-serif'),
    fontSize: parseFloat(css('--vscode-font-size', '13px')) || 13,
    blue: chart('blue', '#3794ff'),
    orange: chart('orange', '#d18616'),
    green: chart('green', '#89d185'),
    purple: chart('purple', '#b180d7'),
    red: chart('red', '#f14c4c'),
    yellow: chart('yellow', '#cca700'),
  };
}

/** Colours for a list of series (splits, measures), in an order that keeps neighbours apart. */
export const seriesColors = (theme: Theme): string[] => [theme.blue, theme.orange, theme.green, theme.purple, theme.red, theme.yellow];

export interface BarSeries {
  label: string;
  data: number[];
  color: string;
  /** Per bar, what the tooltip adds after the value (e.g. the count behind a share). */
  details?: string[];
}

export interface BarSpec {
  labels: string[];
  series: BarSeries[];
  /** Values are percentages (0–100): the axis and tooltips say so. */
  percent?: boolean;
  stacked?: boolean;
  /** Bars along the x axis, categories down the y axis. */
  horizontal?: boolean;
  /** The value axis's title. */
  axisTitle?: string;
}

/** Marks a canvas once Chart.js has drawn it, so tests and screenshots can wait for a drawn chart. */
const markDrawn: Plugin<'bar'> = {
  id: 'bionerDrawn',
  afterRender: (chart) => void chart.canvas.setAttribute('data-drawn', 'true'),
};

/** A bar chart filling `container` (its height comes from the stylesheet). */
export function barChart(container: HTMLElement, spec: BarSpec, theme: Theme): Chart<'bar'> {
  const canvas = document.createElement('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `${spec.axisTitle ?? 'Bar chart'}: ${spec.series.map((s) => s.label).join(', ')}`);
  container.append(canvas);
  const valueAxis = spec.horizontal ? 'x' : 'y';
  const font = { family: theme.fontFamily, size: theme.fontSize };
  const format = (value: number) => (spec.percent ? `${value.toFixed(1)}%` : value.toLocaleString('en'));
  const scale = (isValue: boolean) => ({
    stacked: spec.stacked,
    beginAtZero: true,
    ...(isValue && spec.percent && !spec.stacked && { suggestedMax: 100 }),
    ...(isValue && spec.stacked && spec.percent && { max: 100 }),
    grid: { color: theme.grid, display: isValue },
    border: { color: theme.grid },
    ticks: { color: theme.foreground, font, ...(isValue && { callback: (value: number | string) => (spec.percent ? `${value}%` : value) }) },
    title: { display: isValue && !!spec.axisTitle, text: spec.axisTitle ?? '', color: theme.muted, font },
  });
  return new Chart(canvas, {
    type: 'bar',
    data: {
      labels: spec.labels,
      datasets: spec.series.map((s) => ({ label: s.label, data: s.data, backgroundColor: s.color, borderColor: s.color, borderWidth: 1, maxBarThickness: 48 })),
    },
    options: {
      indexAxis: spec.horizontal ? 'y' : 'x',
      // Drawn at once: no animation to wait for in a report.
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      color: theme.foreground,
      font,
      scales: { x: scale(valueAxis === 'x'), y: scale(valueAxis === 'y') },
      plugins: {
        legend: { display: spec.series.length > 1, labels: { color: theme.foreground, font, boxWidth: 12 } },
        tooltip: {
          callbacks: {
            label: (item) => {
              const detail = spec.series[item.datasetIndex].details?.[item.dataIndex];
              return `${item.dataset.label}: ${format(item.parsed[valueAxis] ?? 0)}${detail ? ` (${detail})` : ''}`;
            },
          },
        },
      },
    },
    plugins: [markDrawn],
  });
}
