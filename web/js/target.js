// web/js/target.js - one target's health (issue 18.6).
//   #/target/NAME   its definition (GET /targets/NAME), its health and admin
//                   state and the health history: every state change and
//                   health check with its job, who and why
//                   (GET /targets/NAME/health, server/flows/health.h)
// Read-only: `iommulab targets state|check NAME` changes it.
// DOM is built with h() only: text goes in as text nodes, never as markup.
import {h, api, fmtTime, emptyState} from './util.js';

const healthClass = {good: 'v-pass', bad: 'v-fail', unknown: 'v-skip', retired: 'v-none'};

export async function render(root, r, ctx) {
  const name = r.parts[1];
  if (!name) { root.append(h('h1', {}, 'Target'), emptyState('No target name in the URL.')); return; }
  const [t, hl] = await Promise.all([api('/targets/' + encodeURIComponent(name)),
    api('/targets/' + encodeURIComponent(name) + '/health')]);
  if (ctx.stale()) return;
  root.append(h('h1', {}, 'Target ' + t.name),
    h('p', {id: 'target-health'}, h('span', {class: 'badge ' + (healthClass[hl.health] || 'v-none')}, hl.health),
      ' state ', h('strong', {}, hl.state)),
    h('dl', {class: 'kv'},
      h('dt', {}, 'arch'), h('dd', {}, t.arch), h('dt', {}, 'backend'), h('dd', {}, t.backend),
      h('dt', {}, 'driver'), h('dd', {}, t.driver || '-'), h('dt', {}, 'vendor'), h('dd', {}, t.vendor || '-'),
      h('dt', {}, 'jobs'), h('dd', {}, h('a', {href: '#/jobs?target=' + encodeURIComponent(t.name)}, 'recent jobs'))),
    h('h2', {}, 'Health history'));
  if (!hl.history.length) {
    root.append(emptyState(h('p', {}, 'No health check yet: ', h('code', {}, 'iommulab targets check ' + t.name), '.')));
    return;
  }
  root.append(h('div', {class: 'scroll'}, h('table', {class: 'grid', id: 'target-history'},
    h('thead', {}, h('tr', {}, ['When', 'Event', 'Health', 'Job', 'By', 'Reason'].map((x) => h('th', {}, x)))),
    h('tbody', {}, hl.history.map((e) => h('tr', {},
      h('td', {}, fmtTime(e.at)), h('td', {}, e.event),
      h('td', {}, h('span', {class: 'badge ' + (healthClass[e.health] || 'v-none')}, e.health || '-')),
      h('td', {}, e.job ? h('a', {href: '#/job/' + e.job}, '#' + e.job) : '-'),
      h('td', {}, e.by || '-'), h('td', {}, e.reason || '')))))));
}
