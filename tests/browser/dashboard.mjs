// tests/browser/dashboard.mjs - drive Debian's chromium (headless, through
// playwright-core) against real iommulabd instances and check each dashboard
// page against the API's JSON.
//
// usage: node dashboard.mjs --real URL --out DIR [--empty URL] [--load URL]
//   --real   server with real results (tests/browser/ingest.py real)
//   --empty  a server with an empty database (empty states)
//   --load   the load fixture server (10,000 synthetic results): page load times
//   --ingest ingest.py real's JSON summary (its running job is followed live)
//   --out    screenshots go to DIR/screenshots, timings to DIR/load-times.json
// Prints "ok - ..." / "not ok - ..." / "ok - ... # SKIP ..." lines; the stage
// script counts them. Exit 1 when the browser cannot start.
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
const out = args.out || '.';
const shots = path.join(out, 'screenshots');
fs.mkdirSync(shots, {recursive: true});

let failed = 0;
const ok = (n) => console.log('ok - ' + n);
const bad = (n, why) => { failed++; console.log('not ok - ' + n + (why ? ': ' + why : '')); };
const check = (n, cond, why) => (cond ? ok(n) : bad(n, why));
const apiGet = async (base, p) => {
  const r = await fetch(base + '/api/v1' + p);
  if (!r.ok) throw new Error(`GET ${p} -> ${r.status}`);
  return r.json();
};
const errname = {0: 'OK', 1: 'EPERM', 2: 'ENOENT', 5: 'EIO', 6: 'ENXIO', 12: 'ENOMEM', 14: 'EFAULT', 16: 'EBUSY',
  18: 'EXDEV', 19: 'ENODEV', 22: 'EINVAL', 28: 'ENOSPC', 95: 'EOPNOTSUPP'};

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'iommulab-chromium-'));
let ctx;
try {
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true, args: FLAGS, viewport: {width: 1280, height: 900}, timeout: 60000,
  });
} catch (e) {
  console.log('not ok - chromium starts: ' + String(e.message).split('\n')[0]);
  process.exit(1);
}
ok('chromium starts headless (' + ctx.browser()?.version?.() + ')');
const page = ctx.pages()[0] || await ctx.newPage();
const consoleErrors = [];
page.on('pageerror', (e) => consoleErrors.push(String(e)));
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
// the served files must not touch the network: every request goes to our server
const foreign = [];
page.on('request', (rq) => {
  const u = rq.url();
  if (!u.startsWith('http://127.0.0.1:') && !u.startsWith('data:')) foreign.push(u);
});

async function open(base, hash, name) { // a fresh page load (about:blank first: no hash-only navigation)
  await page.goto('about:blank');
  await page.goto(base + '/' + hash, {waitUntil: 'load'});
  await page.waitForFunction((n) => document.body.dataset.ready === n, name, {timeout: 30000});
  return page.evaluate(() => window.labReady);
}
const seqNow = () => page.evaluate(() => (window.labReady ? window.labReady.seq : 0));
async function settled(prev, name) { // the router finished a route after @prev
  await page.waitForFunction(([p, n]) => window.labReady && window.labReady.seq > p &&
    document.body.dataset.ready === n, [prev, name], {timeout: 30000});
}
async function go(hash, name) { // in-page navigation (hashchange)
  const prev = await seqNow();
  await page.evaluate((h) => { location.hash = h; }, hash);
  await settled(prev, name);
}
async function shot(name, full = true) {
  await page.screenshot({path: path.join(shots, name), fullPage: full});
  ok('screenshot ' + name);
}
const texts = (sel) => page.$$eval(sel, (els) => els.map((e) => e.textContent.trim()));

async function step(name, fn) {
  try { await fn(); } catch (e) { bad(name, String(e.message).split('\n')[0]); }
}

// ---------------------------------------------------------------- empty server
if (args.empty) {
  await step('empty states', async () => {
    await open(args.empty, '#/', 'overview');
    const t = await page.textContent('.empty');
    check('empty overview says what to do', /make demo/.test(t || ''), t);
    await shot('empty-overview.png');
    await go('#/matrix', 'matrix');
    check('empty matrix says what to do', /make demo/.test(await page.textContent('.empty') || ''));
    await go('#/patches', 'patches');
    check('empty patch reports say what to do', /kind.*patch/.test(await page.textContent('.empty') || ''));
  });
}

// ---------------------------------------------------------------- real results
const R = args.real;
await step('overview', async () => {
  const o = await apiGet(R, '/overview');
  await open(R, '#/', 'overview');
  const rows = await page.$$eval('#overview-table tbody tr', (trs) => trs.map((tr) => ({
    vendor: tr.dataset.vendor, driver: tr.dataset.driver,
    conf: tr.querySelector('td.conf').firstChild.textContent,
    trendPoints: tr.querySelectorAll('svg.trend circle').length})));
  check('overview: one row per vendor/driver of /overview (' + o.drivers.length + ')', rows.length === o.drivers.length && rows.length > 0,
    `${rows.length} rows`);
  for (const d of o.drivers) {
    const r = rows.find((x) => x.vendor === d.vendor && x.driver === d.driver);
    const want = `${d.latest.pass}/${d.latest.judged}`;
    check(`overview: ${d.vendor}/${d.driver} conformance ${want} as in the API`, r && r.conf === want, r && r.conf);
    const pts = d.trend.filter((c) => c && c.judged).length;
    check(`overview: ${d.driver} trend has ${pts} points`, r && r.trendPoints === pts, r && r.trendPoints);
  }
  const regRows = await page.$$('#regressions tbody tr');
  check(`overview: ${o.regressions.length} open regressions listed`, regRows.length === o.regressions.length, regRows.length);
  await shot('overview.png');
});

let matrixCells = 0;
await step('matrix', async () => {
  const kl = (await apiGet(R, '/kernels')).items.map((k) => k.name);
  const tl = (await apiGet(R, '/targets')).items;
  const ms = await Promise.all(kl.map((k) => apiGet(R, '/matrix?kernel=' + encodeURIComponent(k))));
  const all = ms.flatMap((m, i) => m.cells.map((c) => Object.assign({kernel: kl[i]}, c)));
  await open(R, '#/matrix', 'matrix');
  const cells = await page.$$eval('#matrix td.cell a', (as) => as.map((a) => ({kernel: a.dataset.kernel,
    target: a.dataset.target, case: a.dataset.case, verdict: a.dataset.verdict, text: a.textContent, href: a.getAttribute('href')})));
  matrixCells = cells.length;
  check(`matrix: ${all.length} cells, as many as /matrix of every kernel`, cells.length === all.length && all.length > 0, cells.length);
  let mism = 0;
  for (const c of all) {
    const got = cells.find((x) => x.kernel === c.kernel && x.target === c.target && x.case === c.case);
    if (!got || got.verdict !== c.verdict || got.text !== (c.verdict === 'skip' ? 'skip' : errname[c.observed] || 'errno ' + c.observed) ||
        got.href !== '#/result/' + c.result_id) mism++;
  }
  check('matrix: every cell shows the API errno name, verdict and result link', mism === 0, mism + ' differ');
  await shot('matrix.png');
  // filter: vendor amd through the form
  const vendor = tl.find((t) => t.vendor === 'amd') ? 'amd' : tl[0].vendor;
  await page.selectOption('#f-vendor', vendor);
  let prev = await seqNow();
  await page.click('#matrix-filters button[type=submit]');
  await settled(prev, 'matrix');
  const vt = new Set(tl.filter((t) => t.vendor === vendor).map((t) => t.name));
  const want = all.filter((c) => vt.has(c.target)).length;
  const got = await page.$$eval('#matrix td.cell a', (as) => as.map((a) => a.dataset.target));
  check(`matrix filter vendor=${vendor}: ${want} cells, only its targets`, got.length === want && got.every((t) => vt.has(t)), `${got.length} cells`);
  check('matrix filter is in the URL (shareable)', /vendor=/.test(page.url()));
  await shot('matrix-filtered.png');
});

await step('result', async () => {
  await open(R, '#/matrix', 'matrix');
  // prefer a failing cell: it has the most to show
  const link = (await page.$('#matrix td.cell.v-fail a')) || (await page.$('#matrix td.cell.v-pass a'));
  const href = await link.getAttribute('href');
  const prev = await seqNow();
  await link.click();
  await settled(prev, 'result');
  const id = parseInt(href.split('/').pop(), 10);
  const res = (await apiGet(R, '/results?limit=1&cursor=' + (id + 1))).items[0];
  check('result page opened from a matrix cell is that result', res && res.id === id && page.url().endsWith(href));
  const steps = await page.$$eval('#steps tbody tr', (trs) => trs.map((tr) => [tr.children[1].textContent, tr.children[2].textContent]));
  check(`result: all ${res.steps.length} steps with their errno`,
    steps.length === res.steps.length && steps.every((s, i) => s[0] === res.steps[i].name && s[1] === res.steps[i].err), JSON.stringify(steps));
  const errnoCard = await page.textContent('#result-errno');
  check('result: observed/expected/contract shown', errnoCard.includes(res.contract || '-') &&
    errnoCard.includes(`(${res.observed})`) && (res.expected === null || errnoCard.includes(`(${res.expected})`)), errnoCard);
  const body = await page.textContent('main');
  check('result: reuse and verification shown', body.includes(res.verified || 'none') && /reused domain/.test(body));
  await page.waitForFunction(() => !/loading/.test(document.querySelector('#log-excerpt').textContent), null, {timeout: 30000});
  const ex = await page.textContent('#log-excerpt');
  check('result: job log excerpt mentions the case', ex.includes(res.case), ex.slice(0, 200));
  await shot('result.png');
});

await step('diff', async () => {
  const kl = (await apiGet(R, '/kernels')).items.map((k) => k.name);
  const [b, hd] = [kl[0], kl[kl.length - 1]];
  const d = await apiGet(R, `/diffs?base=${b}&head=${hd}&changes_only=1`);
  await open(R, `#/diff?base=${b}&head=${hd}`, 'diff');
  const counts = await page.$$eval('#diff-summary .count', (sp) => Object.fromEntries(sp.map((s) => [s.dataset.class, parseInt(s.textContent, 10)])));
  const same = Object.entries(d.summary).every(([c, n]) => counts[c] === undefined || counts[c] === n);
  check(`diff ${b} -> ${hd}: class counts as in /diffs`, same && Object.keys(counts).length > 0, JSON.stringify(counts));
  for (const c of ['errno_changed', 'pass_to_fail', 'fail_to_pass', 'new', 'missing']) {
    const want = d.rows.filter((r) => r.class === c).length;
    const got = await page.$$eval(`table.diff[data-class=${c}] tbody tr`, (t) => t.length);
    check(`diff group ${c}: ${want} rows`, got === want, got);
  }
  const perma = await page.getAttribute('#permalink', 'href');
  check('diff permalink names both kernels', perma.includes('base=' + b) && perma.includes('head=' + hd), perma);
  await shot('diff.png');
  // the permalink reopens the same diff
  await open(R, '#' + perma.split('#')[1], 'diff');
  check('diff permalink reopens the diff', (await page.textContent('#diff-summary')).includes(`${b} \u2192 ${hd}`));
  // plan diff from the overview's link
  await open(R, '#/', 'overview');
  if (await page.$('#diff-last-nightlies')) {
    const prev = await seqNow();
    await page.click('#diff-last-nightlies');
    await settled(prev, 'diff');
    check('overview links a plan diff of the last two nightlies', /base_plan=\d+&head_plan=\d+/.test(page.url()));
    await shot('diff-plans.png');
  }
});

await step('jobs', async () => {
  const queued = (await apiGet(R, '/jobs?state=queued&limit=200')).items;
  const running = (await apiGet(R, '/jobs?state=running&limit=200')).items;
  await open(R, '#/jobs', 'jobs');
  const ids = await page.$$eval('#jobs-active tbody tr', (t) => t.map((r) => +r.dataset.job));
  check(`jobs: queue shows the ${queued.length} queued and ${running.length} running jobs`,
    ids.length === queued.length + running.length && queued.every((j) => ids.includes(j.id)), ids.join(','));
  const live = await page.textContent('#jobs-live');
  await page.waitForTimeout(3500);
  check('jobs: the queue refreshes live', (await page.textContent('#jobs-live')) !== live);
  await shot('jobs.png');
  const done = (await apiGet(R, '/jobs?state=complete&limit=1')).items[0];
  await open(R, '#/job/' + done.id, 'job');
  await page.waitForFunction(() => /bytes/.test(document.querySelector('#log-status').textContent), null, {timeout: 30000});
  const log = await page.textContent('#job-log');
  const apiLog = await (await fetch(R + '/api/v1/jobs/' + done.id + '/log')).text();
  check(`job #${done.id}: the serial log is the API's log (${apiLog.length} chars)`, log === apiLog && /IOMMULAB-END/.test(log), log.length);
  await shot('job.png', false);

  // a running job: the page follows its log as it grows
  const ing = args.ingest ? JSON.parse(fs.readFileSync(args.ingest, 'utf8')) : {};
  if (!ing.running) {
    console.log('ok - job log follows a running job # SKIP no running job in the fixture');
  } else {
    const {job, log: logPath, src, cut} = ing.running;
    const full = fs.readFileSync(src);
    await open(R, '#/job/' + job, 'job');
    await page.waitForFunction(() => /bytes/.test(document.querySelector('#log-status').textContent), null, {timeout: 30000});
    const first = await page.textContent('#job-log');
    check(`running job #${job}: the page shows the log so far (${cut} bytes)`, first === full.subarray(0, cut).toString('utf8'), first.length);
    check('running job: the page says it follows the log', /following/.test(await page.textContent('#log-status')));
    fs.appendFileSync(logPath, full.subarray(cut));
    await page.waitForFunction(() => /IOMMULAB-END/.test(document.querySelector('#job-log').textContent), null, {timeout: 20000});
    check(`running job #${job}: the page appended the rest of the log as it was written`,
      (await page.textContent('#job-log')) === full.toString('utf8'));
    await shot('job-running.png', false);
  }
  const canceled = (await apiGet(R, '/jobs?state=canceled&limit=1')).items[0];
  if (canceled) {
    await open(R, '#/job/' + canceled.id, 'job');
    const why = await page.textContent('#job-reason').catch(() => '');
    check(`canceled job #${canceled.id} shows its reason`, why.includes(canceled.reason), why);
  }
});

await step('patches', async () => {
  const plans = (await apiGet(R, '/plans?limit=200')).items.filter((p) => p.kind === 'patch');
  await open(R, '#/patches', 'patches');
  const n = await page.$$eval('#patch-plans tbody tr', (t) => t.length);
  check(`patch reports: the ${plans.length} patch plans`, n === plans.length && n > 0, n);
  await shot('patches.png');
});

await step('phone width', async () => {
  await page.setViewportSize({width: 390, height: 844});
  for (const [hash, name, file] of [['#/', 'overview', 'phone-overview.png'], ['#/matrix', 'matrix', 'phone-matrix.png'],
    ['#/diff', 'diff', 'phone-diff.png'], ['#/jobs', 'jobs', 'phone-jobs.png']]) {
    await open(R, hash, name);
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    check(`390px: ${name} page does not scroll sideways (width ${w})`, w <= 391, w);
    await shot(file, false);
  }
  await page.setViewportSize({width: 1280, height: 900});
});

check('no request left 127.0.0.1', foreign.length === 0, foreign.slice(0, 3).join(' '));
check('no JavaScript errors in the pages', consoleErrors.length === 0, consoleErrors.slice(0, 3).join(' | '));

// ---------------------------------------------------------------- load times
if (args.load) {
  const L = args.load;
  const times = [];
  await step('load times', async () => {
    const kl = (await apiGet(L, '/kernels')).items.map((k) => k.name).sort();
    let total = 0;
    for (const k of kl) total += (await apiGet(L, '/results?limit=1&kernel=' + k)).count;
    const n = (await apiGet(L, '/overview?nightlies=30')).nightlies.reduce((a, x) => a + x.results, 0);
    check(`load fixture holds ${n} results`, n >= 10000, n);
    const res = (await apiGet(L, '/results?limit=1')).items[0];
    const done = (await apiGet(L, '/jobs?state=complete&limit=1')).items[0];
    const pages = [
      ['overview', '#/', 'overview'],
      ['matrix (8 newest kernels)', '#/matrix', 'matrix'],
      ['matrix, range of all 20 (newest 8 shown), fail only', `#/matrix?kernel_from=${kl[0]}&verdict=fail`, 'matrix'],
      ['matrix page 5', '#/matrix?page=5', 'matrix'],
      ['diff of two kernels', `#/diff?base=${kl[kl.length - 2]}&head=${kl[kl.length - 1]}`, 'diff'],
      ['diff with unchanged rows', `#/diff?base=${kl[0]}&head=${kl[kl.length - 1]}&all=1`, 'diff'],
      ['result', '#/result/' + res.id, 'result'],
      ['jobs', '#/jobs', 'jobs'],
      ['job', '#/job/' + done.id, 'job'],
    ];
    for (const [label, hash, name] of pages) {
      const best = [];
      for (let i = 0; i < 3; i++) {
        await page.goto('about:blank');
        const t0 = Date.now();
        await page.goto(L + '/' + hash, {waitUntil: 'load'});
        await page.waitForFunction((n) => document.body.dataset.ready === n, name, {timeout: 30000});
        const lr = await page.evaluate(() => window.labReady);
        best.push({wall: Date.now() - t0, sinceNav: lr.sinceNav, render: lr.ms});
      }
      best.sort((a, b) => a.wall - b.wall);
      const m = best[1]; // median of 3
      times.push({page: label, hash, ...m});
      check(`load: ${label} ready in ${m.wall} ms (median of 3; < 5000)`, m.wall < 5000, m.wall);
    }
    // markup stored in a result's free text shows as text and never runs
    const probe = (await apiGet(L, `/results?case=load.synthetic.case_000&kernel=${kl[kl.length - 1]}&limit=1`)).items[0];
    if (probe && /<img/.test(probe.reason || '')) {
      await open(L, '#/result/' + probe.id, 'result');
      await page.waitForTimeout(300);
      const shown = await page.textContent('#result-errno');
      const ran = await page.evaluate(() => window.labXss);
      const imgs = await page.$$eval('main img, main script', (e) => e.length);
      check('XSS probe in reason/contract is shown as text, no element, nothing ran',
        shown.includes(probe.reason) && ran === undefined && imgs === 0, `ran=${ran} imgs=${imgs}`);
    } else {
      bad('XSS probe present in the load fixture', JSON.stringify(probe).slice(0, 200));
    }
    // kernel range and paging on the big matrix
    await open(L, `#/matrix?kernel_from=${kl[2]}&kernel_to=${kl[4]}`, 'matrix');
    const cols = await page.$$eval('#matrix thead th.k', (t) => t.map((x) => x.textContent));
    check(`load matrix: kernel range ${kl[2]}..${kl[4]} gives exactly those columns`, JSON.stringify(cols) === JSON.stringify(kl.slice(2, 5)), cols.join(','));
    const info = await page.textContent('.pageinfo');
    const rowsTotal = parseInt(await page.textContent('#matrix-summary'), 10);
    check(`load matrix: ${rowsTotal} rows paged 60 a page (${info})`, info === `page 1 of ${Math.ceil(rowsTotal / 60)}`, info);
    const firstRow = await page.textContent('#matrix tbody tr');
    const prev = await seqNow();
    await page.click('.pager button:last-child');
    await settled(prev, 'matrix');
    check('load matrix: next page shows other rows, page in the URL',
      (await page.textContent('.pageinfo')).startsWith('page 2 ') && /page=2/.test(page.url()) &&
      (await page.textContent('#matrix tbody tr')) !== firstRow);
    await open(L, '#/matrix', 'matrix');
    await shot('load-matrix.png', false);
    await open(L, '#/', 'overview');
    await shot('load-overview.png', false);
  });
  fs.writeFileSync(path.join(out, 'load-times.json'), JSON.stringify(times, null, 1));
  console.log('# page load times with the 10,000-result load fixture (wall ms from navigation to data drawn; sinceNav = performance.now() at ready; render = route to ready):');
  for (const t of times) console.log(`#   ${t.page.padEnd(36)} ${String(t.wall).padStart(6)} ms  (sinceNav ${t.sinceNav}, render ${t.render})`);
}

await ctx.close();
fs.rmSync(profile, {recursive: true, force: true});
console.log(`# browser checks done, ${failed} failed`);
