// web/js/bisect.js - bisections (server/flows/bisect.h).
//   #/bisect        running and finished bisections (GET /bisections),
//                   refreshed every 5 s while one is running
//   #/bisect/ID     one bisection (GET /bisections/ID): the predicate, the
//                   first bad commit, the step table (commit, judgement,
//                   build time, errno distribution, jobs), git bisect log
//                   and the reproduction command
// DOM is built with h() only: text goes in as text nodes, never as markup.
import {h, api, fmtTime, emptyState} from './util.js';

const stateClass = {found: 'v-pass', failed: 'v-fail', canceled: 'v-skip', running: 'v-none'};
const judgeClass = {good: 'v-pass', bad: 'v-fail', skip: 'v-skip'};

function badge(s, map) {
  return h('span', {class: 'badge ' + (map[s] || 'v-none')}, s || 'running');
}

function predicate(spec) {
  return `${spec.case} on ${spec.target} is good when ` +
    (spec.expect ? `it observes ${spec.expect}` : `its verdict is ${spec.verdict}`) +
    ` (repeat ${spec.repeat}, majority)`;
}

// a series bisection's first bad is a patch number, a git one's a commit
function firstBad(fb) {
  if (fb.patch !== undefined) return h('span', {}, h('code', {}, 'patch ' + fb.patch), ' ', fb.subject || '');
  return h('span', {}, h('code', {}, (fb.commit || '').slice(0, 12)), ' ', fb.subject || '');
}

function dist(d) {
  return Object.entries(d || {}).map(([k, v]) => `${k}\u00d7${v}`).join(' ') || '-';
}

// while something runs: draw the page again in 5 s (until the route changes)
function redraw(root, r, ctx) {
  const t = setTimeout(() => {
    if (ctx.stale()) return;
    if (document.hidden) return redraw(root, r, ctx);
    root.replaceChildren();
    render(root, r, ctx).catch(() => {});
  }, 5000);
  ctx.onLeave(() => clearTimeout(t));
}

async function renderOne(root, id, ctx) {
  const b = await api('/bisections/' + encodeURIComponent(id));
  if (ctx.stale()) return;
  const s = b.spec || {}, r = b.result || {};
  root.append(
    h('p', {}, h('a', {href: '#/bisect'}, '\u2190 all bisections')),
    h('h1', {}, 'Bisection #' + b.id),
    h('p', {id: 'bisect-state'}, badge(b.state, stateClass), ' ', b.reason || ''),
    h('dl', {class: 'kv'},
      h('dt', {}, 'Tree'), h('dd', {}, h('code', {}, s.tree || '-')),
      ...(b.kind === 'series' ? [
        h('dt', {}, 'Base'), h('dd', {}, s.base || '-'),
        h('dt', {}, 'Series'), h('dd', {}, `${(s.series || {}).n || '?'} patches`),
      ] : [
        h('dt', {}, 'Good'), h('dd', {}, `${s.good} (${(s.good_commit || '').slice(0, 12)})`),
        h('dt', {}, 'Bad'), h('dd', {}, `${s.bad} (${(s.bad_commit || '').slice(0, 12)})`),
      ]),
      h('dt', {}, 'Predicate'), h('dd', {}, predicate(s)),
      h('dt', {}, 'Text'), h('dd', {}, h('a', {href: '/api/v1/bisections/' + b.id + '?format=text'}, 'plain-text report'))));
  if (r.first_bad)
    root.append(h('section', {id: 'bisect-first-bad'},
      h('h2', {}, r.first_bad.patch !== undefined ? 'First bad patch' : 'First bad commit'),
      h('p', {}, r.first_bad.patch !== undefined ? h('code', {}, `patch ${r.first_bad.patch} (${r.first_bad.name})`) :
        h('code', {}, r.first_bad.commit), ' ', r.first_bad.subject || ''),
      r.first_bad.author ? h('p', {class: 'muted'}, `${r.first_bad.author}, ${r.first_bad.date}`) : null,
      h('pre', {class: 'log'}, r.first_bad.diffstat || '')));
  root.append(h('h2', {}, 'Steps'),
    h('div', {class: 'scroll'}, h('table', {class: 'grid', id: 'bisect-steps'},
      h('thead', {}, h('tr', {}, ['#', 'Commit', 'Subject', 'Judged', 'Build', 'Errnos', 'Jobs', 'Why'].map((t) => h('th', {}, t)))),
      h('tbody', {}, (b.steps || []).map((st) => h('tr', {},
        h('td', {class: 'num'}, String(st.n)),
        h('td', {}, h('code', {}, (st.commit || '').startsWith('patch:') ? st.commit : (st.commit || '').slice(0, 12))),
        h('td', {}, st.subject || ''),
        h('td', {}, badge(st.judgement, judgeClass)),
        h('td', {class: 'num'}, st.build_s !== undefined ? st.build_s + ' s' : '-'),
        h('td', {}, dist(st.distribution)),
        h('td', {}, ...(st.jobs || []).map((j) => h('a', {href: '#/job/' + j}, '#' + j + ' '))),
        h('td', {class: 'muted'}, st.why || '')))))));
  if (r.log) root.append(h('h2', {}, 'git bisect log'), h('pre', {class: 'log', id: 'bisect-log'}, r.log));
  if (r.reproduce) root.append(h('h2', {}, 'Reproduce'), h('pre', {class: 'log'}, r.reproduce));
  if (b.state === 'running') redraw(root, {parts: ['bisect', id]}, ctx);
}

export async function render(root, r, ctx) {
  if (r.parts[1]) return renderOne(root, r.parts[1], ctx);
  const l = await api('/bisections?limit=200');
  if (ctx.stale()) return;
  root.append(h('h1', {}, 'Bisections'),
    h('p', {class: 'muted'}, 'From "this errno changed" to "this commit changed it": iommulab bisect start ' +
      '(POST /api/v1/bisections); each step builds the commit and runs the case as a job.'));
  if (!l.items.length) {
    root.append(emptyState(h('p', {}, 'No bisections yet: ',
      h('code', {}, 'iommulab bisect start --tree PATH --good REF --bad REF --target T --case ID --expect ERRNO'))));
    return;
  }
  root.append(h('div', {class: 'scroll'}, h('table', {class: 'grid', id: 'bisections'},
    h('thead', {}, h('tr', {}, ['#', 'State', 'Steps', 'Target', 'Case', 'Predicate', 'First bad commit', 'Started', 'Finished'].map((t) => h('th', {}, t)))),
    h('tbody', {}, l.items.map((b) => {
      const s = b.spec || {}, fb = (b.result || {}).first_bad;
      return h('tr', {},
        h('td', {class: 'num'}, h('a', {href: '#/bisect/' + b.id}, '#' + b.id)),
        h('td', {}, badge(b.state, stateClass)),
        h('td', {class: 'num'}, String(b.steps)),
        h('td', {}, s.target || '-'), h('td', {}, s.case || '-'),
        h('td', {}, s.expect ? 'expect ' + s.expect : 'verdict ' + s.verdict),
        h('td', {}, fb ? firstBad(fb) : (b.reason || '-')),
        h('td', {}, fmtTime(b.created_at)), h('td', {}, b.finished_at ? fmtTime(b.finished_at) : '-'));
    })))));
  if (l.items.some((b) => b.state === 'running')) redraw(root, r, ctx);
}
