/**
 * The accessible table beside each chart: the same figure as rows and columns, each cell with
 * its exact value in `data-value` (the text is rounded for reading). Screen readers read the
 * table; the canvas is hidden from them.
 */
import type { Figure } from './figures.ts';
import { bytes, money } from './format.ts';

function cell(tag: 'td' | 'th', text: string, attributes: Record<string, string> = {}): HTMLElement {
  const element = document.createElement(tag);
  element.textContent = text;
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

export function renderTable(figure: Figure, into: HTMLElement, caption: string): HTMLTableElement {
  const format = figure.unit === 'usd' ? money : bytes;
  into.querySelector('details.figures')?.remove();
  const details = document.createElement('details');
  details.className = 'figures';
  const summary = document.createElement('summary');
  summary.textContent = 'Figures behind the chart';
  details.append(summary);
  const table = document.createElement('table');
  table.dataset.figure = figure.id;
  table.createCaption().textContent = caption;
  const head = table.createTHead().insertRow();
  head.append(cell('th', figure.dimension, { scope: 'col' }), ...figure.series.map((s) => cell('th', s.label, { scope: 'col', 'data-series': s.key })));
  if (figure.totals) head.append(cell('th', 'Total', { scope: 'col', 'data-series': 'total' }));
  const body = table.createTBody();
  figure.labels.forEach((label, i) => {
    const row = body.insertRow();
    row.dataset.label = label;
    row.append(cell('th', label, { scope: 'row' }));
    for (const s of figure.series) row.append(cell('td', format(s.values[i]!), { 'data-series': s.key, 'data-value': String(s.values[i]) }));
    if (figure.totals) row.append(cell('td', format(figure.totals[i]!), { 'data-series': 'total', 'data-value': String(figure.totals[i]) }));
  });
  if (!figure.labels.length) body.insertRow().append(cell('td', 'Nothing yet.', { colspan: String(figure.series.length + 1) }));
  details.append(table);
  into.append(details);
  return table;
}
