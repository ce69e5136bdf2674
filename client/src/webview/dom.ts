/** Small DOM builders for the report views: elements with classes, text and children, and tables of report cells. */
import { isNumeric, type ReportTable } from '../../../server/src/core/reports/tables';

type Child = Node | string | null | undefined | false;

/** `<tag class=…>` with attributes and children (null, undefined and false are left out). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) if (child !== null && child !== undefined && child !== false) element.append(child);
  return element;
}

/** A report table in a box that scrolls sideways when the panel is narrow: number columns right-aligned. */
export function tableOf(table: Pick<ReportTable, 'header' | 'rows'>, className = 'figures'): HTMLElement {
  const numeric = table.header.map((_, i) => i > 0 && table.rows.every((row) => isNumeric(row[i])));
  const align = (i: number) => ({ class: numeric[i] ? 'number' : 'text' });
  return scrolling(
    el(
      'table',
      { class: className },
      el('thead', {}, el('tr', {}, ...table.header.map((name, i) => el('th', { scope: 'col', ...align(i) }, name)))),
      el('tbody', {}, ...table.rows.map((row) => el('tr', {}, ...row.map((cell, i) => (i === 0 ? el('th', { scope: 'row' }, String(cell)) : el('td', align(i), String(cell))))))),
    ),
  );
}

/** A wide element in a box that scrolls sideways rather than spilling out of its card. */
export const scrolling = (element: HTMLElement): HTMLElement => el('div', { class: 'scroll' }, element);

/** A titled section of the report. */
export function card(title: string, ...children: Child[]): HTMLElement {
  return el('section', { class: 'card' }, el('h2', {}, title), ...children);
}
