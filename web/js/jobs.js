// web/js/jobs.js - the job queue (#/jobs; with ?plan=ID the plan's page:
// its warnings and configuration errors in boxes of their own) and one job
// with its warning or failure reason and its logs (#/job/ID): the console
// log whenever the job has one (has_log; a target refused as known broken
// has its one-line refusal there), with its preparation log in a box of its
// own when it has one (has_prep_log); a job that never booted shows its
// preparation log instead. The queue refreshes every REFRESH ms while
// shown; a job's log is tailed with /jobs/ID/log (or /prep-log)?offset=N
// while the job is not finished. No request for a log the job does not have.
import {h, api, fmtTime, fmtDur, select, emptyState, errorBox} from './util.js';

const REFRESH = 3000;
const ACTIVE = ['running', 'scheduled', 'queued'];
const PAGE = 50;

function elapsed(j, now) {
  if (!j.started_at) return j.state === 'queued' ? 'waiting ' + fmtDur(now - j.created_at) : '-';
  return fmtDur((j.finished_at || now) - j.started_at);
}

function jobRow(j, now) {
  return h('tr', {class: 'state-' + j.state, dataset: {job: j.id}},
    h('td', {class: 'num'}, h('a', {href: '#/job/' + j.id}, '#' + j.id)),
    h('td', {}, j.kernel), h('td', {}, j.target),
    h('td', {}, h('span', {class: 'badge s-' + j.state}, j.state)),
    h('td', {class: 'num col-minor'}, `${j.attempts}/${j.max_attempts}`),
    h('td', {class: 'num'}, elapsed(j, now)),
    h('td', {class: 'small'}, j.plan_id ? h('a', {href: '#/jobs?plan=' + j.plan_id}, '#' + j.plan_id) : '-'),
    h('td', {class: 'small reason' + (j.state === 'complete' && j.reason ? ' warning' : '')}, j.reason || ''));
}

function jobTable(list, now, id) {
  return h('div', {class: 'scroll'}, h('table', {class: 'grid jobs', id},
    h('thead', {}, h('tr', {}, ['Job', 'Kernel', 'Target', 'State', 'Tries', 'Elapsed', 'Plan', 'Reason']
      .map((t) => h('th', {class: t === 'Tries' ? 'col-minor' : null}, t)))),
    h('tbody', {}, list.map((j) => jobRow(j, now)))));
}

// A plan's warnings (complete jobs run without the probe module: kmod cases
// skipped) and configuration errors (incomplete, not retried), counted by
// GET /plans/{id}: one box each, listing every such job with its reason
// (GET /jobs?plan=&state=, at most LIST jobs a box).
const LIST = 200;
const NOTICES = [
  {count: 'warnings', state: 'complete', prefix: 'warning: ', cls: 'warning', id: 'plan-warnings',
   what: (n) => `${n} job(s) complete with a warning`},
  {count: 'configuration_errors', state: 'incomplete', prefix: 'configuration error: ', cls: 'error', id: 'plan-config-errors',
   what: (n) => `${n} job(s) failed by a configuration error (not retried)`},
];

async function planNotices(planId) {
  const p = await api('/plans/' + planId);
  const boxes = [];
  for (const n of NOTICES) {
    if (!p[n.count]) continue;
    const l = await api(`/jobs?plan=${p.id}&state=${n.state}&limit=${LIST}`);
    const hit = l.items.filter((j) => (j.reason || '').startsWith(n.prefix));
    boxes.push(h('div', {class: 'notice ' + n.cls, id: n.id, role: 'alert'},
      h('strong', {}, `Plan #${p.id}: ${n.what(p[n.count])}`),
      hit.length < p[n.count] ? h('span', {class: 'small'}, ` (${hit.length} listed)`) : null,
      h('ul', {}, hit.map((j) => h('li', {dataset: {job: j.id}},
        h('a', {href: '#/job/' + j.id}, '#' + j.id), ` ${j.kernel} on ${j.target}: `,
        h('span', {class: 'why'}, j.reason.slice(n.prefix.length)))))));
  }
  return boxes;
}

async function queue(root, r, ctx) {
  const q = r.query;
  root.append(h('h1', {}, 'Jobs'));
  const form = h('form', {class: 'filters', id: 'jobs-filters'},
    select('state', [['', 'active + recent'], ...['queued', 'scheduled', 'running', 'complete', 'incomplete', 'canceled'].map((s) => [s, s])], q.state, 'State'),
    h('label', {class: 'field'}, h('span', {}, 'Kernel'), h('input', {name: 'kernel', value: q.kernel || '', size: 10})),
    h('label', {class: 'field'}, h('span', {}, 'Target'), h('input', {name: 'target', value: q.target || '', size: 10})),
    h('label', {class: 'field'}, h('span', {}, 'Plan'), h('input', {name: 'plan', value: q.plan || '', size: 5, inputmode: 'numeric'})),
    h('button', {type: 'submit'}, 'Apply'));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); ctx.go(Object.fromEntries(new FormData(form))); });
  const live = h('p', {class: 'muted small', id: 'jobs-live'});
  const box = h('div', {id: 'jobs-box'});
  root.append(form, live, box);
  const base = {kernel: q.kernel, target: q.target, plan: q.plan};
  const args = (o) => new URLSearchParams(Object.entries(Object.assign({}, base, o)).filter(([, v]) => v)).toString();

  let first = true;
  const draw = async () => {
    const now = Math.floor(Date.now() / 1000);
    const parts = [];
    if (q.plan && /^[0-9]+$/.test(q.plan)) parts.push(...await planNotices(q.plan));
    if (!q.state) {
      const act = await Promise.all(ACTIVE.map((s) => api('/jobs?' + args({state: s, limit: 200}))));
      const recent = await api('/jobs?' + args({limit: 20}));
      const actList = act.flatMap((l) => l.items);
      parts.push(h('h2', {}, `Queue and running (${actList.length})`));
      parts.push(actList.length ? jobTable(actList, now, 'jobs-active') :
        emptyState('Nothing queued or running. Submit a plan (POST /api/v1/plans, or ', h('code', {}, 'make demo'), ').'));
      const done = recent.items.filter((j) => !ACTIVE.includes(j.state));
      parts.push(h('h2', {}, 'Recently finished'));
      parts.push(done.length ? jobTable(done, now, 'jobs-recent') : emptyState('No finished job yet.'));
    } else {
      const cursor = q.cursor ? {cursor: q.cursor} : {};
      const l = await api('/jobs?' + args(Object.assign({state: q.state, limit: PAGE}, cursor)));
      parts.push(l.items.length ? jobTable(l.items, now, 'jobs-list') : emptyState('No ' + q.state + ' jobs.'));
      const nav = h('div', {class: 'pager'});
      if (q.cursor) nav.append(h('a', {href: '#/jobs?' + new URLSearchParams(Object.assign({}, q, {cursor: ''})).toString().replace(/&?cursor=(&|$)/, '$1')}, '\u00ab newest'));
      if (l.next_cursor) nav.append(h('a', {href: '#/jobs?' + new URLSearchParams(Object.assign({}, q, {cursor: l.next_cursor})).toString()}, 'older \u203a'));
      parts.push(nav);
    }
    if (ctx.stale()) return;
    box.replaceChildren(...parts);
    live.textContent = 'updated ' + new Date().toLocaleTimeString() + ' - refreshes every ' + REFRESH / 1000 + ' s';
  };
  await draw();
  first = false;
  const t = setInterval(() => { if (!document.hidden) draw().catch((e) => box.replaceChildren(errorBox(e))); }, REFRESH);
  ctx.onLeave(() => clearInterval(t));
  return first;
}

// what made the job's results (GET /jobs/ID "provenance", server/run/provenance.h)
function provenance(j) {
  const p = j.provenance;
  if (!p) return null;
  const file = (path, sum) => h('span', {}, h('code', {}, path || '-'), sum ? h('span', {class: 'muted small'}, ' sha256 ' + sum) : null);
  return h('details', {id: 'job-provenance'},
    h('summary', {}, 'Provenance: what made these results (', h('code', {}, 'iommulab reproduce ' + j.id), ')'),
    h('dl', {class: 'kv'},
      h('dt', {}, 'kernel'), h('dd', {}, `${p.kernel_source || '?'} ${p.kernel_ref || ''} ${p.kernel_release || ''}`),
      h('dt', {}, 'image'), h('dd', {}, file(p.kernel_image, p.kernel_sha256)),
      h('dt', {}, 'initramfs'), h('dd', {}, file(p.initrd, p.initrd_sha256)),
      h('dt', {}, 'agent'), h('dd', {}, file(p.agent, p.agent_sha256)),
      h('dt', {}, 'module'), h('dd', {}, file(p.kmod, p.kmod_sha256)),
      h('dt', {}, 'target'), h('dd', {}, file(p.target_file, p.target_sha256)),
      h('dt', {}, 'QEMU'), h('dd', {}, p.qemu_version || '-'),
      h('dt', {}, 'command'), h('dd', {}, h('pre', {class: 'log', id: 'job-qemu-cmd'}, p.qemu_cmdline || '-')),
      h('dt', {}, 'rig/boot'), h('dd', {}, h('code', {}, p.boot_args || '-')),
      h('dt', {}, 'recorded'), h('dd', {}, fmtTime(p.recorded_at))));
}

async function one(root, r, ctx) {
  const id = parseInt(r.parts[1], 10);
  if (!(id > 0)) { root.append(h('h1', {}, 'Job'), emptyState('No job id in the URL.')); return; }
  let j = await api('/jobs/' + id);
  if (ctx.stale()) return;
  const head = h('div', {id: 'job-head'});
  const pre = h('pre', {class: 'log', id: 'job-log'});
  const status = h('p', {class: 'muted small', id: 'log-status'});
  // which log the page tails: the console log once the job has one (has_log:
  // its guest booted, or rig/boot wrote why it refused to boot it), else its
  // preparation log (a job stopped before its guest booted, or still preparing)
  const which = () => (j.has_log ? 'log' : 'prep-log');
  let mode = which();
  const title = h('h2', {id: 'log-title'});
  const prepPre = h('pre', {class: 'log', id: 'job-prep-log'});
  const prepBox = h('details', {id: 'job-prep'},
    h('summary', {}, 'Preparation log (', h('a', {href: 'api/v1/jobs/' + id + '/prep-log'}, 'as text'), ')'), prepPre);
  prepBox.hidden = true;
  root.append(h('h1', {}, 'Job #' + id), head, title, status, pre, prepBox);
  const drawHead = () => {
    const now = Math.floor(Date.now() / 1000);
    head.replaceChildren(h('dl', {class: 'kv'},
      h('dt', {}, 'kernel'), h('dd', {}, j.kernel), h('dt', {}, 'target'), h('dd', {}, h('a', {href: '#/target/' + encodeURIComponent(j.target)}, j.target)),
      h('dt', {}, 'state'), h('dd', {}, h('span', {class: 'badge s-' + j.state}, j.state)),
      h('dt', {}, 'backend'), h('dd', {}, j.backend + (j.backend_job_id ? ' ' + j.backend_job_id : '')),
      h('dt', {}, 'attempts'), h('dd', {}, `${j.attempts}/${j.max_attempts}`),
      h('dt', {}, 'created'), h('dd', {}, fmtTime(j.created_at)),
      h('dt', {}, 'elapsed'), h('dd', {}, elapsed(j, now)),
      h('dt', {}, 'results'), h('dd', {}, j.results ? h('a', {href: '#/matrix?kernel_from=' + encodeURIComponent(j.kernel) + '&kernel_to=' + encodeURIComponent(j.kernel) + '&target=' + encodeURIComponent(j.target)}, String(j.results)) : '0'),
      j.plan_id ? [h('dt', {}, 'plan'), h('dd', {}, h('a', {href: '#/jobs?plan=' + j.plan_id}, '#' + j.plan_id))] : null),
      j.reason ? (j.state === 'complete'
        ? h('p', {class: 'warning', id: 'job-reason'}, 'Warning: ' + j.reason.replace(/^warning: /, ''))
        : h('p', {class: 'error', id: 'job-reason'}, (/^configuration error: /.test(j.reason)
          ? 'Configuration error (not retried): ' + j.reason.replace(/^configuration error: /, '')
          : 'Failure reason: ' + j.reason))) : '',
      provenance(j) || ''); // replaceChildren would write null as "null"
  };
  drawHead();
  let off = 0, chunks = 0, prepShown = false;
  const MAXLOG = 2 * 1024 * 1024;
  // the preparation log beside a console log (complete once the guest boots)
  const showPrep = async () => {
    if (prepShown || mode !== 'log' || !j.has_prep_log) return;
    prepShown = true;
    const t = await fetch('api/v1/jobs/' + id + '/prep-log');
    if (ctx.stale() || !t.ok) return;
    prepPre.textContent = await t.text();
    prepBox.hidden = false;
  };
  const tail = async () => {
    if (which() !== mode) { // its guest booted while the page was shown: its console log from the start
      mode = which();
      off = 0; chunks = 0;
      pre.replaceChildren();
    }
    title.textContent = mode === 'log' ? 'Serial log' : 'Preparation log';
    await showPrep();
    if (mode === 'prep-log' && !j.has_prep_log) { // nothing to fetch (a 404 would only say so again)
      status.textContent = ACTIVE.includes(j.state) ? 'no log yet - waiting for the job to start' :
        'job ' + id + ' has no log (' + j.state + (j.reason ? ': ' + j.reason : '') + ')';
      return;
    }
    try {
      const t = await fetch('api/v1/jobs/' + id + '/' + mode + '?offset=' + off);
      if (t.status === 404) { status.textContent = (await t.json()).error; return; }
      const txt = await t.text();
      if (ctx.stale()) return;
      if (txt.length) {
        const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 24;
        off += new TextEncoder().encode(txt).length;
        pre.append(document.createTextNode(txt));
        if (atEnd && chunks++ > 0) pre.scrollTop = pre.scrollHeight; // keep following the tail
        if (pre.textContent.length > MAXLOG) pre.textContent = '[... earlier output dropped ...]\n' + pre.textContent.slice(-MAXLOG);
      }
      const why = /^configuration error: /.test(j.reason || '') ? 'the configuration error stopped the job' : 'the job stopped';
      status.textContent = (mode === 'log' ? '' : ACTIVE.includes(j.state) ? 'preparing, no serial log yet: its preparation log, ' :
        'no serial log: ' + why + ' before its guest booted; its preparation log, ') +
        `${off} bytes` + (ACTIVE.includes(j.state) ? ' - following the log while the job runs' : '');
    } catch (e) {
      status.textContent = 'log: ' + e.message;
    }
  };
  await tail();
  if (ACTIVE.includes(j.state)) {
    const t = setInterval(async () => {
      j = await api('/jobs/' + id).catch(() => j);
      drawHead();
      await tail();
      if (!ACTIVE.includes(j.state)) clearInterval(t);
    }, 2000);
    ctx.onLeave(() => clearInterval(t));
  }
}

export async function render(root, r, ctx) {
  return r.name === 'job' ? one(root, r, ctx) : queue(root, r, ctx);
}
