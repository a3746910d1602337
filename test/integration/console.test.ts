/**
 * The console (/console/, issue 16) on a seeded local archive: two tenants, five modalities,
 * moved through Standard, Standard-IA, Glacier IR and Deep Archive by the clock, and a
 * disposition dry run. Its static files are served publicly with a confining CSP; then headless
 * Chromium (Debian's, driven by playwright-core) signs in with a bearer token and every chart
 * and table must show the numbers the API answers the test for the same token. The screenshot
 * is kept in test-results/console.png. Without Chromium the browser part is skipped, saying why.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { stow } from '#test/helpers/dicom.ts';
import { fetchWithoutToken, startTestRuntime, TEST_TENANT, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

const CHROMIUM = process.env.STRATA_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const BROWSER_TITLE = HAVE_CHROMIUM
  ? 'in headless Chromium'
  : `in headless Chromium — SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium, or set STRATA_CHROMIUM; .ci/run installs it)`;
// Said where the run's output shows it, not only in the skipped test's title.
if (!HAVE_CHROMIUM) console.warn(`console.test.ts: the browser tests are SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium, or set STRATA_CHROMIUM)`);
const ARTIFACTS = resolve(import.meta.dirname, '../../test-results');
const OTHER_TENANT = 'hospital-b';
/** The console's token: the finance reports, disposition runs, and every tenant (admin). */
const SCOPES = ['finance.read', 'ilm.admin', 'admin'];

interface CostLines {
  storage: number;
  overhead: number;
  earlyDeletion: number;
  requests: number;
  retrieval: number;
  total: number;
}
interface OpexRow {
  month: string;
  tier?: string;
  tenant?: string;
  modality?: string;
  bytes: number;
  cost: CostLines;
}
interface Opex {
  currentMonth: string;
  rows: OpexRow[];
  totals: CostLines;
}
interface Comparison {
  current: { years: { yearTotal: number }[]; total: number };
  proposed: { years: { yearTotal: number }[]; total: number };
  difference: { yearTotal: number }[];
  totalDifference: number;
}
interface Run {
  id: string;
  status: string;
  summary?: { monthlySavingUsd: number; bytesByTier: Record<string, number>; eligible: number };
}

/** What the test reads of a Chart.js chart. */
interface ChartModel {
  data: { labels: string[]; datasets: { label: string; data: number[] }[] };
}

let serial = 0;
/** One instance of a new study, ~190 KB (over the 128 KB the lifecycle rules leave on Standard). */
function instance(modality: string, options: { studyDate?: string; birthDate?: string } = {}): Buffer {
  serial += 1;
  const base = `1.2.826.0.1.3680043.10.1161.${serial}`;
  return synthesize('SC_rgb_jpeg_dcmd.dcm', {
    study: base,
    series: `${base}.1`,
    sop: `${base}.1.1`,
    modality,
    studyDate: options.studyDate ?? '20400101',
    patientId: `C${serial}`,
    extra: { '00100030': ['DA', options.birthDate ?? '19600101'] },
  });
}

describe('The console', () => {
  let runtime: TestRuntime;
  let token: string;
  const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const response = await fetchWithoutToken(`${runtime.url}${path}`, { ...init, headers: { Authorization: `Bearer ${token}`, ...init.headers } });
    expect(response.status, `${path}: ${await response.clone().text()}`).toBeLessThan(300);
    return (await response.json()) as T;
  };
  async function advance(body: Record<string, string>): Promise<void> {
    expect((await fetch(`${runtime.url}/_local/clock`, { method: 'POST', body: JSON.stringify(body) })).status).toBe(200);
    await runtime.events.idle();
  }
  async function store(tenant: string, files: Buffer[]): Promise<void> {
    const headers = tenant === TEST_TENANT ? {} : await runtime.authorization(tenant);
    for (const file of files) expect((await stow(runtime.url, [file], '/dicom-web/studies', headers)).status).toBe(200);
  }

  beforeAll(async () => {
    runtime = await startTestRuntime();
    token = await runtime.token({ tenant: TEST_TENANT, scopes: SCOPES, clientId: 'console-test' });
    await advance({ to: '2040-01-10T00:00:00Z' });
    // January: clinical studies of both tenants, a mammogram, and migrated studies 20 years old
    // (straight to Deep Archive at 30 days, and old enough for the retention rules' 10 years).
    await store(TEST_TENANT, [instance('CT'), instance('CT'), instance('MG')]);
    await store(TEST_TENANT, [instance('CR', { studyDate: '20200105', birthDate: '19500101' }), instance('CR', { studyDate: '20190310', birthDate: '19480101' })]);
    await store(OTHER_TENANT, [instance('MR')]);
    await advance({ advance: '+35d' }); // CT and MR → Standard-IA, migrated → Deep Archive
    await store(TEST_TENANT, [instance('CT')]);
    await store(OTHER_TENANT, [instance('US')]);
    await advance({ advance: '+70d' }); // January's CT/MR → Glacier IR, the mammogram and February's → Standard-IA
    await store(TEST_TENANT, [instance('DX')]);
    await store(OTHER_TENANT, [instance('CT')]);
    // A disposition dry run: the migrated studies are eligible under the default 10-year retention.
    const started = await api<{ id: string }>('/dispositions', { method: 'POST' });
    await runtime.stepFunctions.settled();
    expect((await api<Run>(`/dispositions/${started.id}`)).status).toBe('AWAITING_APPROVAL');
  }, 240_000);
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('serves its page and assets without a token, confined by a Content-Security-Policy, and nothing outside its folder', async () => {
    const page = await fetchWithoutToken(`${runtime.url}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self';.*connect-src 'self'/);
    const html = await page.text();
    // Relative asset URLs resolve under the folder the page is served from (here no stage prefix).
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">\n<head><base href="\/console\/">/);
    const script = /src="\.\/(assets\/index-[\w-]+\.js)"/.exec(html)![1]!;
    const asset = await fetchWithoutToken(`${runtime.url}/console/${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await asset.text()).length).toBeGreaterThan(50_000); // Chart.js is in it
    // Without the trailing slash it is the same page.
    expect((await fetchWithoutToken(`${runtime.url}/console`)).status).toBe(200);
    for (const path of ['/console/missing.js', '/console/assets/..%2F..%2Fpackage.json', '/console/.source-hash', '/console/%2e%2e/package.json']) {
      expect((await fetchWithoutToken(`${runtime.url}${path}`)).status, path).toBe(404);
    }
  });

  it('lists the tenant\'s disposition runs newest first, each without its task token', async () => {
    const { runs } = await api<{ runs: (Run & { taskToken?: string })[] }>('/dispositions?limit=5');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'AWAITING_APPROVAL', summary: { eligible: 2 } });
    expect(runs[0]!.taskToken).toBeUndefined();
    expect((await fetchWithoutToken(`${runtime.url}/dispositions?limit=0`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(400);
    // Another tenant's list is its own (empty).
    const other = await fetchWithoutToken(`${runtime.url}/dispositions`, { headers: await runtime.authorization(OTHER_TENANT, ['ilm.admin']) });
    expect(((await other.json()) as { runs: Run[] }).runs).toEqual([]);
  });

  describe.skipIf(!HAVE_CHROMIUM)(BROWSER_TITLE, () => {
    let browser: Browser;
    let page: Page;
    const problems: string[] = [];
    const authorizations = new Map<string, string | undefined>();

    beforeAll(async () => {
      const { chromium } = await import('playwright-core');
      // --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start.
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('response', (response) => {
        if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
      });
      page.on('request', (request) => {
        const path = new URL(request.url()).pathname;
        if (!path.startsWith('/console')) authorizations.set(`${request.method()} ${path}`, request.headers().authorization);
      });
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    it('signs in with a pasted token and shows what the API answers, chart by chart', async () => {
      await page.goto(`${runtime.url}/console/`);
      await page.fill('#token', `Bearer ${token}\n`);
      await page.click('#sign-in button[type=submit]');
      await page.waitForSelector('#console[data-state="ready"]', { timeout: 60_000 });

      const month = (await api<Opex>('/finance/opex?groupBy=tier')).currentMonth;
      expect(month).toBe('2040-04');
      // Chart.js's own model of each chart (window.strataConsole, scripts/clients/console/src/main.ts).
      const model = await page.evaluate(() => {
        const { charts } = (globalThis as unknown as { strataConsole: { charts: Record<string, ChartModel> } }).strataConsole;
        return Object.fromEntries(Object.entries(charts).map(([id, chart]) => [id, { labels: chart.data.labels, datasets: chart.data.datasets.map((d) => ({ label: d.label, data: d.data })) }]));
      });
      const dataset = (id: string, label: string) => model[id]!.datasets.find((d) => d.label === label)!.data;
      const tableValue = (figure: string, label: string, series: string) =>
        page.locator(`table[data-figure="${figure}"] tr[data-label="${label}"] td[data-series="${series}"]`).getAttribute('data-value').then(Number);
      const kpi = (id: string) => page.locator(`#${id}`).getAttribute('data-value').then(Number);

      // This month by tier: every cost line of every tier, and the tier totals in the table.
      const tiers = (await api<Opex>(`/finance/opex?from=${month}&to=${month}&groupBy=tier`)).rows.filter((r) => r.bytes !== 0 || r.cost.total !== 0);
      expect(tiers.map((r) => r.tier).sort()).toEqual(['DEEP_ARCHIVE', 'GLACIER_IR', 'STANDARD', 'STANDARD_IA']);
      expect([...model.tiers!.labels].sort()).toEqual(tiers.map((r) => r.tier!).sort());
      for (const row of tiers) {
        const at = model.tiers!.labels.indexOf(row.tier!);
        expect(dataset('tiers', 'Storage')[at], row.tier).toBe(row.cost.storage);
        expect(dataset('tiers', 'Archive overhead')[at], row.tier).toBe(row.cost.overhead);
        expect(dataset('tiers', 'Early deletion')[at], row.tier).toBe(row.cost.earlyDeletion);
        expect(dataset('tiers', 'Requests')[at], row.tier).toBe(row.cost.requests);
        expect(await tableValue('tiers', row.tier!, 'total'), row.tier).toBe(row.cost.total);
      }
      expect(await kpi('kpi-month')).toBe((await api<Opex>('/finance/opex?groupBy=tier')).totals.total);

      // The trend: each month × tier of the last 12 months.
      const history = await api<Opex>(`/finance/opex?from=2039-05&to=${month}&groupBy=tier`);
      expect(model.trend!.labels).toEqual(['2039-05', '2039-06', '2039-07', '2039-08', '2039-09', '2039-10', '2039-11', '2039-12', '2040-01', '2040-02', '2040-03', '2040-04']);
      const costly = history.rows.filter((r) => r.cost.total !== 0);
      expect(new Set(costly.map((r) => r.month))).toEqual(new Set(['2040-01', '2040-02', '2040-03', '2040-04']));
      for (const row of costly) expect(dataset('trend', row.tier!)[model.trend!.labels.indexOf(row.month)], `${row.month} ${row.tier}`).toBe(row.cost.total);

      // Top tenants and modalities this month, costliest first.
      for (const [figure, dimension] of [['tenants', 'tenant'], ['modalities', 'modality']] as const) {
        const rows = (await api<Opex>(`/finance/opex?from=${month}&to=${month}&groupBy=${dimension}`)).rows.filter((r) => r.cost.total !== 0).sort((a, b) => b.cost.total - a.cost.total);
        expect(model[figure]!.labels).toEqual(rows.map((r) => r[dimension]));
        expect(dataset(figure, 'OpEx this month')).toEqual(rows.map((r) => r.cost.total));
        for (const row of rows) expect(await tableValue(figure, row[dimension]!, 'total'), row[dimension]).toBe(row.cost.total);
      }
      expect(model.tenants!.labels.sort()).toEqual([TEST_TENANT, OTHER_TENANT].sort());
      expect(model.modalities!.labels.sort()).toEqual(['CR', 'CT', 'DX', 'MG', 'MR', 'US']);

      // The projection: both policies year by year and the difference (asked again here, a moment
      // later: the archive's ages move on by that moment, so to the cent).
      const { comparison } = await api<{ comparison: Comparison }>('/finance/projection?years=10&compare=all-standard');
      const cents = (values: number[]) => values.map((v) => Math.round(v * 100));
      expect(cents(dataset('projection', 'Current policy'))).toEqual(cents(comparison.current.years.map((y) => y.yearTotal)));
      expect(cents(dataset('projection', 'Proposed'))).toEqual(cents(comparison.proposed.years.map((y) => y.yearTotal)));
      expect(cents(dataset('projection', 'Proposed − current'))).toEqual(cents(comparison.difference.map((d) => d.yearTotal)));
      expect(Math.round((await kpi('kpi-difference')) * 100)).toBe(Math.round(comparison.totalDifference * 100));
      expect(comparison.totalDifference).toBeGreaterThan(0); // all-Standard costs more than the lifecycle policy
      expect(await page.locator('#kpi-difference').textContent()).toMatch(/^\+\$/);

      // The latest disposition dry run's monthly saving, and what it would delete per tier.
      const [run] = (await api<{ runs: Run[] }>('/dispositions?limit=1')).runs;
      // (The API states the saving to the cent: two ~190 KB objects in Deep Archive save $0.00 a month.)
      expect(await kpi('kpi-disposition')).toBe(run!.summary!.monthlySavingUsd);
      expect(await page.locator('#kpi-disposition').textContent()).toBe(`$${run!.summary!.monthlySavingUsd.toFixed(2)}/month`);
      expect(await page.locator('#kpi-disposition-note').textContent()).toContain(`${run!.summary!.eligible} studies`);
      expect(await page.locator('#kpi-disposition-note').textContent()).toContain(run!.id);
      expect(Object.keys(run!.summary!.bytesByTier)).toEqual(['DEEP_ARCHIVE']);
      expect(Object.fromEntries(model.disposition!.labels.map((tier, i) => [tier, dataset('disposition', 'Eligible bytes')[i]]))).toEqual(run!.summary!.bytesByTier);

      // Every API request carried the token; the page broke no CSP rule and threw nothing.
      expect([...authorizations.keys()].sort()).toEqual(['GET /dispositions', 'GET /finance/opex', 'GET /finance/projection']);
      for (const [request, authorization] of authorizations) expect(authorization, request).toBe(`Bearer ${token}`);
      expect(problems).toEqual([]);

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'console.png'), fullPage: true });
    });

    it('compares the current policy with a pasted one as POST /finance/projection answers, and shows a refused one\'s reason', async () => {
      const policy = { version: 2, rules: [{ id: 'instant', match: {}, schedule: ['STANDARD 0d', 'GLACIER_IR 30d'] }] };
      await page.check('input[name=proposed][value=policy]');
      await page.fill('#proposed-policy', JSON.stringify(policy));
      await page.click('#proposal button[type=submit]');
      await page.locator('#kpi-proposed-name', { hasText: 'proposed: the pasted policy' }).waitFor();
      const proposed = await page.evaluate(() => {
        const { charts } = (globalThis as unknown as { strataConsole: { charts: Record<string, ChartModel> } }).strataConsole;
        return Object.fromEntries(charts.projection!.data.datasets.map((d) => [d.label, d.data]));
      });
      const { comparison } = await api<{ comparison: Comparison }>('/finance/projection', { method: 'POST', body: JSON.stringify({ policy, years: 10 }), headers: { 'Content-Type': 'application/json' } });
      const cents = (values: number[]) => values.map((v) => Math.round(v * 100));
      expect(cents(proposed['Proposed']!)).toEqual(cents(comparison.proposed.years.map((y) => y.yearTotal)));
      expect(cents(proposed['Proposed − current']!)).toEqual(cents(comparison.difference.map((d) => d.yearTotal)));
      expect(Math.round(Number(await page.locator('#kpi-difference').getAttribute('data-value')) * 100)).toBe(Math.round(comparison.totalDifference * 100));
      // A policy S3 could not apply (Glacier IR before Standard-IA's 30 days is fine; a step back is not).
      await page.fill('#proposed-policy', JSON.stringify({ version: 3, rules: [{ id: 'back', match: {}, schedule: ['STANDARD 0d', 'DEEP_ARCHIVE 30d', 'STANDARD_IA 60d'] }] }));
      await page.click('#proposal button[type=submit]');
      await page.waitForSelector('#fig-projection .problem');
      expect(await page.locator('#fig-projection .problem').textContent()).toMatch(/^Not shown: 400 the proposed policy is not valid: /);
      problems.splice(0, problems.length); // the 400 above is the point, not a page error
    });

    it('keeps the token in this tab\'s sessionStorage only, and forgets it on sign-out', async () => {
      expect(await page.evaluate(() => sessionStorage.getItem('strata.console.token'))).toBe(token);
      expect(await page.evaluate(() => localStorage.length)).toBe(0);
      await page.reload();
      await page.waitForSelector('#console[data-state="ready"]', { timeout: 60_000 });
      await page.click('#sign-out');
      expect(await page.evaluate(() => sessionStorage.getItem('strata.console.token'))).toBeNull();
      expect(await page.locator('#sign-in').isVisible()).toBe(true);
    });

    it('sends a refused token back to the sign-in form with the API\'s reason', async () => {
      await page.fill('#token', `${token.slice(0, -4)}AAAA`);
      await page.click('#sign-in button[type=submit]');
      await page.waitForSelector('#console[data-state="signed-out"] #sign-in-error:not(:empty)', { timeout: 30_000 });
      expect(await page.locator('#sign-in-error').textContent()).toMatch(/refused the token: 401/);
    });
  });
});
