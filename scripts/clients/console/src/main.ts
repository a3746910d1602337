/**
 * The console: sign in with a bearer token, then draw this month's OpEx by tier, the last 12
 * months, the 10-year projection under the current and a proposed policy, the top tenants and
 * modalities, and the latest disposition dry run's saving — every figure from the API.
 * `window.strataConsole` holds the charts and figures (for scripts and the browser test).
 */
import type { Chart } from 'chart.js';
import { ApiError, getJson, type DispositionRun, type OpexReport, type ProjectionAnswer } from './api.ts';
import { drawChart, type ChartKind } from './charts.ts';
import { dispositionTiers, latestDryRun, projection, tiersThisMonth, topGroups, trend, type Figure } from './figures.ts';
import { bytes, money, monthsBefore, signedMoney } from './format.ts';
import { claimsOf, forgetToken, normalizeToken, saveToken, savedToken } from './session.ts';
import { renderTable } from './tables.ts';

const TREND_MONTHS = 12;
const PROJECTION_YEARS = 10;
/** The finance API's GB (lambdas/core/finance/units.ts BYTES_PER_GB). */
const GIB = 2 ** 30;

declare global {
  interface Window {
    strataConsole: { charts: Record<string, Chart>; figures: Record<string, Figure> };
  }
}
const charts: Record<string, Chart> = {};
const figures: Record<string, Figure> = {};
window.strataConsole = { charts, figures };

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const main = $('console');

function setState(state: 'signed-out' | 'loading' | 'ready' | 'error'): void {
  main.dataset.state = state;
}

function kpi(id: string, value: number, text: string, note = ''): void {
  const element = $(id);
  element.textContent = text;
  element.dataset.value = String(value);
  $(`${id}-note`)?.replaceChildren(note);
}

/** Draws a figure in its `<figure id="fig-…">`: the chart, the table beside it, or why it cannot. */
function show(figure: Figure, kind: ChartKind): void {
  const element = $(`fig-${figure.id}`);
  element.querySelector('.problem')?.remove();
  figures[figure.id] = figure;
  charts[figure.id] = drawChart(element.querySelector('canvas')!, figure, kind);
  const caption = element.querySelector('figcaption')?.textContent ?? figure.id;
  renderTable(figure, element, caption);
}

function problem(id: string, error: unknown): void {
  const element = $(`fig-${id}`);
  element.querySelector('.problem')?.remove();
  const p = document.createElement('p');
  p.className = 'problem';
  p.setAttribute('role', 'alert');
  p.textContent = error instanceof ApiError && error.status === 403 ? `Not shown: ${error.message} (this needs another scope on the token).` : `Not shown: ${(error as Error).message}`;
  element.append(p);
}

async function loadProjection(token: string): Promise<void> {
  const form = $<HTMLFormElement>('proposal');
  const choice = (form.elements.namedItem('proposed') as RadioNodeList).value;
  $('proposal-error').textContent = '';
  let answer: ProjectionAnswer;
  if (choice === 'policy') {
    let policy: unknown;
    try {
      policy = JSON.parse($<HTMLTextAreaElement>('proposed-policy').value);
    } catch (error) {
      $('proposal-error').textContent = `The proposed policy is not JSON: ${(error as Error).message}`;
      return;
    }
    answer = await getJson<ProjectionAnswer>(token, 'finance/projection', { method: 'POST', body: JSON.stringify({ policy, years: PROJECTION_YEARS }) });
  } else {
    answer = await getJson<ProjectionAnswer>(token, `finance/projection?years=${PROJECTION_YEARS}&compare=all-standard`);
  }
  const { comparison } = answer;
  show(projection(answer), 'projection');
  kpi('kpi-current', comparison.current.total, money(comparison.current.total));
  $('kpi-ingest').textContent = `ingest ${bytes(answer.ingest.gbPerMonth * GIB)}/month (${answer.ingest.measured ? 'measured, last 30 days' : 'given'})`;
  kpi('kpi-difference', comparison.totalDifference, signedMoney(comparison.totalDifference));
  $('kpi-proposed-name').textContent = choice === 'policy' ? 'proposed: the pasted policy' : 'proposed: everything on S3 Standard';
}

async function load(token: string): Promise<void> {
  setState('loading');
  $('status').textContent = 'Loading…';
  // The archive's own month first (its clock, not this browser's), then the rest at once.
  const thisMonth = await getJson<OpexReport>(token, 'finance/opex?groupBy=tier');
  const month = thisMonth.currentMonth;
  const months = Array.from({ length: TREND_MONTHS }, (_, i) => monthsBefore(month, TREND_MONTHS - 1 - i));
  kpi('kpi-month', thisMonth.totals.total, money(thisMonth.totals.total), `${month}, prices ${thisMonth.prices.region}`);
  show(tiersThisMonth(thisMonth), 'stacked-horizontal');

  const [history, tenants, modalities, runs, projected] = await Promise.allSettled([
    getJson<OpexReport>(token, `finance/opex?from=${months[0]}&to=${month}&groupBy=tier`),
    getJson<OpexReport>(token, `finance/opex?from=${month}&to=${month}&groupBy=tenant`),
    getJson<OpexReport>(token, `finance/opex?from=${month}&to=${month}&groupBy=modality`),
    getJson<{ runs: DispositionRun[] }>(token, 'dispositions?limit=10'),
    loadProjection(token),
  ]);
  if (history.status === 'fulfilled') show(trend(history.value, months), 'stacked');
  else problem('trend', history.reason);
  if (tenants.status === 'fulfilled') show(topGroups(tenants.value, 'tenant'), 'horizontal');
  else problem('tenants', tenants.reason);
  if (modalities.status === 'fulfilled') show(topGroups(modalities.value, 'modality'), 'horizontal');
  else problem('modalities', modalities.reason);
  if (projected.status === 'rejected') problem('projection', projected.reason);
  if (runs.status === 'fulfilled') {
    const run = latestDryRun(runs.value.runs);
    if (run?.summary) {
      kpi('kpi-disposition', run.summary.monthlySavingUsd, `${money(run.summary.monthlySavingUsd)}/month`, `${run.summary.eligible} studies, ${bytes(run.summary.bytes)}; ${run.id} (${run.status})`);
      show(dispositionTiers(run), 'horizontal');
    } else {
      kpi('kpi-disposition', 0, '—', 'no dry run yet (POST /dispositions or npm run disposition -- --dry-run)');
    }
  } else {
    kpi('kpi-disposition', 0, '—', 'not shown');
    problem('disposition', runs.reason);
  }
  // The archive's month (its clock; locally it may be years ahead of this browser's).
  const priced = Object.values(thisMonth.prices.asOf).map((text) => /^\d{4}-\d{2}(-\d{2})?/.exec(text)?.[0] ?? '').sort().at(-1);
  $('status').textContent = `Archive month ${month} — ${thisMonth.currency}, AWS list prices for ${thisMonth.prices.region}${priced ? ` (price table of ${priced})` : ''}.`;
  setState('ready');
}

function signedIn(token: string): void {
  const claims = claimsOf(token);
  $('sign-in').hidden = true;
  $('dashboard').hidden = false;
  $('sign-out').hidden = false;
  const who = $('who');
  who.hidden = false;
  who.textContent = claims
    ? `${claims.clientId ?? 'client'} · tenant ${claims.tenant ?? '—'} · ${claims.scopes.join(', ')}${claims.expiresAt ? ` · expires ${claims.expiresAt.toLocaleTimeString()}` : ''}`
    : 'signed in';
  load(token).catch((error: unknown) => {
    if (error instanceof ApiError && error.status === 401) return signOut(`The archive refused the token: ${error.message}`);
    setState('error');
    $('status').textContent = `Could not load: ${(error as Error).message}`;
  });
}

function signOut(message = ''): void {
  forgetToken();
  for (const chart of Object.values(charts)) chart.destroy();
  $('dashboard').hidden = true;
  $('sign-out').hidden = true;
  $('who').hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = message;
  setState('signed-out');
}

$<HTMLFormElement>('sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  const token = normalizeToken($<HTMLTextAreaElement>('token').value);
  if (!token) return;
  saveToken(token);
  $<HTMLTextAreaElement>('token').value = '';
  signedIn(token);
});
$('sign-out').addEventListener('click', () => signOut());
$<HTMLFormElement>('proposal').addEventListener('submit', (event) => {
  event.preventDefault();
  const token = savedToken();
  if (token) loadProjection(token).catch((error: unknown) => problem('projection', error));
});

const token = savedToken();
if (token) signedIn(token);
