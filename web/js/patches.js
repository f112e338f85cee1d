// web/js/patches.js - placeholder for per-patch validation reports: lists the
// plans of kind "patch" with their job counts (GET /plans, filtered here).
import {h, api, fmtTime, emptyState} from './util.js';

export async function render(root, r, ctx) {
  root.append(h('h1', {}, 'Patch reports'),
    h('p', {class: 'muted'}, 'Per-patch validation reports come later; these are the plans submitted with kind "patch".'));
  const items = [];
  for (let off = 0; off < 2000; off += 200) {
    const l = await api('/plans?limit=200&offset=' + off);
    items.push(...l.items.filter((p) => p.kind === 'patch'));
    if (l.items.length < 200) break;
  }
  if (ctx.stale()) return;
  if (!items.length) {
    root.append(emptyState(h('p', {}, 'No patch plans yet: build a candidate kernel with ', h('code', {}, 'kernels/build'),
      ', register it, then submit a plan with "kind": "patch" (POST /api/v1/plans).')));
    return;
  }
  root.append(h('div', {class: 'scroll'}, h('table', {class: 'grid', id: 'patch-plans'},
    h('thead', {}, h('tr', {}, ['Plan', 'Name', 'Kernels', 'Jobs', 'Created', 'By'].map((t) => h('th', {}, t)))),
    h('tbody', {}, items.map((p) => {
      const ks = (p.spec && p.spec.kernels) || [];
      return h('tr', {},
        h('td', {class: 'num'}, '#' + p.id), h('td', {}, p.name || '-'),
        h('td', {}, ks.join(', ')),
        h('td', {class: 'num'}, h('a', {href: '#/jobs?plan=' + p.id}, String(p.jobs))),
        h('td', {}, fmtTime(p.created_at)), h('td', {}, p.created_by || '-'));
    })))));
}
