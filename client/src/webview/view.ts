/** What the report views share: what they draw with, and their header with the export buttons. */
import type { BarSpec, Theme } from './charts';
import { el } from './dom';
import type { ViewMessage } from './messages';

/** Kept by VS Code while the panel lives, across the page reloads of hiding and showing it. */
export interface ViewState {
  /** The score cell whose errors are listed (evaluation view). */
  cell?: string;
}

export interface ViewContext {
  theme: Theme;
  /** Draws a bar chart in `container` once the view is in the page (Chart.js sizes a chart from its container). */
  chart(container: HTMLElement, spec: BarSpec): void;
  post(message: ViewMessage): void;
  state: ViewState;
  setState(state: ViewState): void;
}

/** The report's title, what it is about (one line per item) and the export buttons. */
export function reportHeader(title: string, about: string[], context: ViewContext): HTMLElement {
  const exportButton = (format: 'markdown' | 'json', label: string) => {
    const button = el('button', { type: 'button', class: 'export', 'data-format': format, title: `Open the report as ${label} in a new editor` }, `Export ${label}`);
    button.addEventListener('click', () => context.post({ kind: 'export', format }));
    return button;
  };
  return el(
    'header',
    {},
    el('div', { class: 'title' }, el('h1', {}, title), ...about.map((line) => el('p', { class: 'about' }, line))),
    el('div', { class: 'actions' }, exportButton('markdown', 'Markdown'), exportButton('json', 'JSON')),
  );
}

/** A container a chart is drawn into. */
export function chartBox(context: ViewContext, spec: BarSpec, size: 'normal' | 'short' = 'normal'): HTMLElement {
  const box = el('div', { class: `chart ${size}` });
  context.chart(box, spec);
  return box;
}
