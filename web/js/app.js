// web/js/app.js - the dashboard's hash router.
//
// Routes (shareable URLs: everything a page shows is in its hash):
//   #/                         overview        #/matrix?kernel_from=&kernel_to=&vendor=&...
//   #/result/ID                one result      #/diff?base=&head= | ?base_plan=&head_plan=
//   #/jobs?state=              job queue       #/job/ID
//   #/patches                  patch plans     #/findings, #/finding/ID  regressions
//   #/target/NAME              a target's health and history
// Each page module exports render(main, route, ctx) -> Promise. ctx.onLeave(fn)
// registers cleanup (timers) run when the route changes; ctx.go(query)
// replaces the current route's query. When a page has drawn its data the
// router sets <body data-ready="PAGE"> and window.labReady = {page, ms}
// (used by the browser test and for load times).
import {h, errorBox} from './util.js';
import * as overview from './overview.js';
import * as matrix from './matrix.js';
import * as result from './result.js';
import * as diff from './diff.js';
import * as jobs from './jobs.js';
import * as patches from './patches.js';
import * as findings from './findings.js';
import * as target from './target.js';

const pages = {overview, matrix, result, diff, jobs, job: jobs, patches, findings, finding: findings, target};
let leave = [];
let seq = 0;

function parse() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, q] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const query = Object.fromEntries(new URLSearchParams(q || ''));
  let name = parts[0] || 'overview';
  return {name, parts, query};
}

async function route() {
  for (const fn of leave) try { fn(); } catch (e) { /* cleanup must not stop routing */ }
  leave = [];
  const my = ++seq;
  const t0 = performance.now();
  const r = parse();
  const page = pages[r.name];
  document.body.removeAttribute('data-ready');
  for (const a of document.querySelectorAll('#nav a'))
    a.classList.toggle('active', a.dataset.route === (r.name === 'result' ? 'matrix' : r.name === 'job' ? 'jobs' : r.name === 'finding' ? 'findings' : r.name));
  const main = document.getElementById('main');
  const fresh = h('div', {class: 'page page-' + r.name});
  main.replaceChildren(fresh);
  const ctx = {
    onLeave: (fn) => leave.push(fn),
    stale: () => my !== seq,
    go: (query) => {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== '' && v !== null && v !== undefined) p.set(k, v);
      const t = p.toString();
      location.hash = '#/' + r.parts.map(encodeURIComponent).join('/') + (t ? '?' + t : '');
    },
  };
  if (!page) {
    fresh.append(h('h1', {}, 'Not found'), h('p', {}, 'No page "' + r.name + '". ', h('a', {href: '#/'}, 'Overview')));
  } else {
    try {
      await page.render(fresh, r, ctx);
    } catch (e) {
      if (my === seq) fresh.append(errorBox(e));
    }
  }
  if (my !== seq) return;
  const ms = Math.round(performance.now() - t0);
  window.labReady = {page: r.name, ms, sinceNav: Math.round(performance.now()), seq: my};
  document.body.dataset.ready = r.name;
}

window.addEventListener('hashchange', route);
route();
