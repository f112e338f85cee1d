// tests/browser/patch_report.mjs - the dashboard's "Patch reports" pages
// against a real server holding a finished patch plan (used by
// tests/stages/65-patch.sh; same playwright-core + Debian chromium as
// dashboard.mjs).
//   node patch_report.mjs --url http://127.0.0.1:PORT --plan ID --out DIR
// Prints TAP-like "ok -"/"not ok -" lines; exit 1 on any failure.
import {createRequire} from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const {chromium} = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');
const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) => {
  if (v.startsWith('--')) a.push([v.slice(2), all[i + 1]]);
  return a;
}, []));
let failed = 0;
const check = (n, cond, why) => {
  if (cond) console.log('ok - ' + n);
  else { failed++; console.log('not ok - ' + n + (why ? ': ' + why : '')); }
};

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'iommulab-chromium-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  viewport: {width: 1280, height: 900}, timeout: 60000,
});
const page = ctx.pages()[0] || await ctx.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
async function open(hash) {
  await page.goto('about:blank');
  await page.goto(args.url + '/' + hash, {waitUntil: 'load'});
  await page.waitForFunction(() => document.body.dataset.ready === 'patches', null, {timeout: 30000});
}
try {
  await open('#/patches');
  const row = await page.$$eval('#patch-plans tbody tr', (rs, id) =>
    rs.map((r) => r.textContent).filter((t) => t.startsWith('#' + id)), args.plan);
  check('list: the plan with its report state', row.length === 1 && /fail/.test(row[0]), JSON.stringify(row));
  await open('#/patches/' + args.plan);
  const state = await page.textContent('#patch-state');
  check('report: state fail and the summary', /fail/.test(state) && /driver/.test(state), state);
  const checks = await page.$$eval('#patch-checks tbody tr', (rs) => rs.map((r) => r.textContent));
  check('report: one row per Patchwork check, intel-iommu fails',
    checks.some((t) => /^fail.*iommulab\/intel-iommu/.test(t)), JSON.stringify(checks));
  const cv = await page.$$eval('[id="cv-intel-iommu"] tbody tr', (rs) => rs.map((r) => r.textContent));
  check('report: the contract violation row (EINVAL -> ENODEV) links to its result',
    cv.length === 1 && /kmod\.coherency\.vtd_no_snoop/.test(cv[0]) && /EINVAL/.test(cv[0]) && /ENODEV/.test(cv[0]),
    JSON.stringify(cv));
  const link = await page.$eval('[id="cv-intel-iommu"] tbody a', (a) => a.getAttribute('href'));
  check('report: result link', /^#\/result\/\d+$/.test(link || ''), link);
  await page.screenshot({path: path.join(args.out, 'patch-report.png'), fullPage: true});
  check('no page errors', errors.length === 0, errors.join(' | '));
} catch (e) {
  check('patch report pages render', false, String(e.message).split('\n')[0]);
}
await ctx.close();
fs.rmSync(profile, {recursive: true, force: true});
process.exit(failed ? 1 : 0);
