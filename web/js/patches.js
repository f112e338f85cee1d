// web/js/patches.js - per-patch validation reports.
//   #/patches       every plan of kind "patch" (GET /plans, filtered here),
//                   with the report's state for series submitted through
//                   POST /api/v1/patches (GET /patches)
//   #/patches/ID    one report (GET /patches/ID): Patchwork-shaped checks,
//                   per driver what the series changed, the log excerpt when
//                   it did not apply, build or boot, and the mail text link
// DOM is built with h() only: text goes in as text nodes, never as markup.
import {h, api, fmtTime, emptyState} from './util.js';

const stateClass = {success: 'v-pass', fail: 'v-fail', warning: 'v-error', pending: 'v-skip'};

function stateBadge(s) {
  return h('span', {class: 'badge ' + (stateClass[s] || 'v-none')}, s || '-');
}

function side(x) {
  return x ? `${x.observed_name} (${x.verdict})` : '-';
}

function rowsTable(id, title, rows) {
  if (!rows || !rows.length) return null;
  return h('div', {},
    h('h3', {}, `${title} (${rows.length})`),
    h('div', {class: 'scroll'}, h('table', {class: 'grid', id},
      h('thead', {}, h('tr', {}, ['Target', 'Case', 'Base', 'Candidate', 'Contract'].map((t) => h('th', {}, t)))),
      h('tbody', {}, rows.map((r) => h('tr', {},
        h('td', {}, r.target),
        h('td', {}, r.head && r.head.result_id ? h('a', {href: '#/result/' + r.head.result_id}, r.case) : r.case),
        h('td', {}, side(r.base)), h('td', {}, side(r.head)),
        h('td', {}, (r.head && r.head.expected_name) || '-')))))));
}

async function renderReport(root, id, ctx) {
  const rep = await api('/patches/' + encodeURIComponent(id));
  if (ctx.stale()) return;
  root.append(
    h('p', {}, h('a', {href: '#/patches'}, '\u2190 all patch reports')),
    h('h1', {}, rep.subject || rep.name || ('Patch plan #' + rep.plan)),
    h('p', {id: 'patch-state'}, stateBadge(rep.state), ' ', rep.summary),
    h('dl', {class: 'kv'},
      h('dt', {}, 'Base'), h('dd', {}, `${rep.base.kernel} (${rep.base.release || 'not built yet'})`),
      h('dt', {}, 'Candidate'), h('dd', {}, `${rep.head.kernel} (${rep.head.release || 'not built yet'})`),
      h('dt', {}, 'Targets'), h('dd', {}, (rep.targets || []).join(', ') || '-'),
      h('dt', {}, 'Jobs'), h('dd', {}, h('a', {href: '#/jobs?plan=' + rep.plan}, 'plan #' + rep.plan)),
      h('dt', {}, 'Mail'), h('dd', {}, h('a', {href: '/api/v1/patches/' + rep.plan + '?format=text'}, 'plain-text report'))),
    h('h2', {}, 'Checks'),
    h('div', {class: 'scroll'}, h('table', {class: 'grid', id: 'patch-checks'},
      h('thead', {}, h('tr', {}, ['State', 'Context', 'Description'].map((t) => h('th', {}, t)))),
      h('tbody', {}, rep.checks.map((c) => h('tr', {},
        h('td', {}, stateBadge(c.state)), h('td', {}, h('code', {}, c.context)), h('td', {}, c.description)))))));
  if (rep.excerpt)
    root.append(h('h2', {}, 'Log excerpt'), h('pre', {class: 'log', id: 'patch-excerpt'}, rep.excerpt));
  for (const d of rep.drivers) {
    const parts = [
      rowsTable('crash-' + d.driver, 'New crashes', d.new_crashes),
      rowsTable('warn-' + d.driver, 'New kernel warnings', d.new_warnings),
      rowsTable('miss-' + d.driver, 'Missing cases', d.missing),
      rowsTable('setup-' + d.driver, 'Setup step changes', d.setup_changes),
      rowsTable('fixed-' + d.driver, 'Crashes fixed', d.crashes_fixed),
      rowsTable('cv-' + d.driver, 'Contract violations', d.contract_violations),
      rowsTable('nf-' + d.driver, 'New failures', d.new_failures),
      rowsTable('np-' + d.driver, 'New passes', d.new_passes),
      rowsTable('ec-' + d.driver, 'Errno changes', d.errno_changes),
      rowsTable('oc-' + d.driver, 'Other changes', d.other_changes),
      rowsTable('ki-' + d.driver, 'Expected failures (known issues)', d.expected_failures),
      rowsTable('kp-' + d.driver, 'Expected failures that passed (retire the known issue: iommulab findings retire ID --reason TEXT)', d.expected_passed),
      rowsTable('qc-' + d.driver, 'QEMU changes (base and candidate ran on different QEMU versions: not kernel regressions)', d.qemu_changes || []),
    ].filter(Boolean);
    root.append(h('section', {class: 'patch-driver'},
      h('h2', {}, stateBadge(d.state), ' ', d.driver),
      h('p', {class: 'muted'}, d.description), ...parts));
  }
}

export async function render(root, r, ctx) {
  if (r.parts[1]) return renderReport(root, r.parts[1], ctx);
  root.append(h('h1', {}, 'Patch reports'),
    h('p', {class: 'muted'}, 'Series submitted with iommulab patch submit (POST /api/v1/patches) are built on ' +
      'their base, run on both kernels and reported per driver; other plans of kind "patch" are listed too.'));
  const items = [];
  for (let off = 0; off < 2000; off += 200) {
    const l = await api('/plans?limit=200&offset=' + off);
    items.push(...l.items.filter((p) => p.kind === 'patch'));
    if (l.items.length < 200) break;
  }
  const reports = new Map((await api('/patches?limit=500')).items.map((p) => [p.plan, p]));
  if (ctx.stale()) return;
  if (!items.length) {
    root.append(emptyState(h('p', {}, 'No patch plans yet: submit a series with ', h('code', {}, 'iommulab patch submit --base debian-6.12 SERIES'),
      ' (POST /api/v1/patches), or a plan with "kind": "patch" (POST /api/v1/plans).')));
    return;
  }
  root.append(h('div', {class: 'scroll'}, h('table', {class: 'grid', id: 'patch-plans'},
    h('thead', {}, h('tr', {}, ['Plan', 'Name', 'Kernels', 'Report', 'Jobs', 'Created', 'By'].map((t) => h('th', {}, t)))),
    h('tbody', {}, items.map((p) => {
      const ks = (p.spec && p.spec.kernels) || [];
      const rep = reports.get(p.id);
      return h('tr', {},
        h('td', {class: 'num'}, rep ? h('a', {href: '#/patches/' + p.id}, '#' + p.id) : '#' + p.id),
        h('td', {}, p.name || '-'),
        h('td', {}, ks.join(', ')),
        h('td', {}, rep ? h('span', {}, stateBadge(rep.state), ' ', rep.summary) : '-'),
        h('td', {class: 'num'}, h('a', {href: '#/jobs?plan=' + p.id}, String(p.jobs))),
        h('td', {}, fmtTime(p.created_at)), h('td', {}, p.created_by || '-'));
    })))));
}
