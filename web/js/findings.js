// web/js/findings.js - the regression lifecycle (issue 18.1).
//   #/findings?state=&target=&case=&driver=&expected=   findings, newest first
//                   (GET /findings), with the known issues (GET /known-issues)
//                   and their state (active | retired)
//   #/finding/ID    one finding: its cause, first/last/fixing kernel, who
//                   acknowledged it, its links (a lore message id links to
//                   lore.kernel.org) and every event (GET /findings/ID)
// Read-only: changes go through the CLI or the API with a token.
// DOM is built with h() only: text goes in as text nodes, never as markup.
import {h, api, qs, fmtTime, emptyState, select} from './util.js';

const stateClass = {open: 'v-fail', fixed: 'v-pass'};

function stateBadge(f) {
  const s = h('span', {class: 'badge ' + (stateClass[f.state] || 'v-none')}, f.state);
  return f.known_issue ? h('span', {}, s, ' ', h('span', {class: 'badge v-skip', title: f.expected_reason || ''}, 'expected')) : s;
}

// a known issue's state (active | retired: who, when, why in the title)
function knownState(k) {
  if (k.state !== 'retired') return h('span', {class: 'badge v-skip'}, k.state || 'active');
  return h('span', {class: 'badge v-none', title: `retired by ${k.retired_by || '-'} at ${fmtTime(k.retired_at)}: ${k.retire_reason || ''}`}, 'retired');
}

function linkOf(l) {
  const href = l.kind === 'msgid' ? 'https://lore.kernel.org/r/' + encodeURIComponent(l.value) : l.value;
  // only http(s) links become anchors (the API checks them too)
  return /^https?:\/\//.test(href) ? h('a', {href, rel: 'noreferrer'}, l.value) : h('span', {}, l.value);
}

async function renderOne(root, id, ctx) {
  const f = await api('/findings/' + encodeURIComponent(id));
  if (ctx.stale()) return;
  const kernelJob = (k, j) => k ? h('span', {}, k, ' (', h('a', {href: '#/job/' + j}, 'job ' + j), ')') : '-';
  root.append(
    h('p', {}, h('a', {href: '#/findings'}, '\u2190 all findings')),
    h('h1', {}, `Finding ${f.id}: ${f.case} on ${f.target}`),
    h('p', {id: 'finding-state'}, stateBadge(f), ' ', h('code', {}, `${f.from} \u2192 ${f.to}`), ' (', f.verdict, ')'),
    h('dl', {class: 'kv', id: 'finding-kv'},
      h('dt', {}, 'Key'), h('dd', {}, h('code', {}, f.key)),
      h('dt', {}, 'Driver'), h('dd', {}, f.driver),
      h('dt', {}, 'First seen'), h('dd', {}, kernelJob(f.first_kernel, f.first_job)),
      h('dt', {}, 'Last seen'), h('dd', {}, kernelJob(f.last_kernel, f.last_job), ` \u00d7${f.seen}`),
      h('dt', {}, 'Fixed by'), h('dd', {id: 'finding-fixed'}, kernelJob(f.fixed_kernel, f.fixed_job)),
      h('dt', {}, 'Expected'), h('dd', {}, f.known_issue ? `known issue ${f.known_issue}: ${f.expected_reason}` : 'no'),
      h('dt', {}, 'Acknowledged'), h('dd', {}, f.acked_by ? `${f.acked_by}, ${fmtTime(f.acked_at)}${f.ack_note ? ': ' + f.ack_note : ''}` : 'no'),
      h('dt', {}, 'Links'), h('dd', {id: 'finding-links'}, f.links.length ? f.links.map((l) => h('div', {}, l.kind, ' ', linkOf(l))) : '-')),
    h('h2', {}, 'History'),
    h('div', {class: 'scroll'}, h('table', {class: 'grid', id: 'finding-events'},
      h('thead', {}, h('tr', {}, ['When', 'Event', 'Kernel', 'Job', 'By', 'Note'].map((t) => h('th', {}, t)))),
      h('tbody', {}, f.events.map((e) => h('tr', {},
        h('td', {}, fmtTime(e.at)), h('td', {}, e.kind), h('td', {}, e.kernel || '-'),
        h('td', {}, e.job ? h('a', {href: '#/job/' + e.job}, '#' + e.job) : '-'),
        h('td', {}, e.by || '-'), h('td', {}, e.note || '')))))),
    h('p', {class: 'muted'}, 'Change it with ', h('code', {}, `iommulab findings ack|link|expect ${f.id}`), '.'));
}

export async function render(root, r, ctx) {
  if (r.name === 'finding' && r.parts[1]) return renderOne(root, r.parts[1], ctx);
  const q = r.query;
  const [list, known] = await Promise.all([
    api('/findings' + qs({state: q.state, target: q.target, case: q.case, driver: q.driver, expected: q.expected, limit: 500})),
    api('/known-issues')]);
  if (ctx.stale()) return;
  const filters = h('form', {class: 'filters', onchange: (ev) => {
    const fd = new FormData(ev.currentTarget);
    ctx.go(Object.fromEntries(fd.entries()));
  }},
    select('state', [['', 'any'], ['open', 'open'], ['fixed', 'fixed']], q.state, 'State'),
    select('expected', [['', 'any'], ['false', 'unexpected'], ['true', 'expected']], q.expected, 'Expected'));
  root.append(h('h1', {}, 'Findings'),
    h('p', {class: 'muted'}, 'Every contract violation (fail, crash, warn) is tracked by its cause: opened when first seen, ' +
      'fixed when the case returns to its contract on a later kernel, reopened if it comes back.'),
    filters);
  if (!list.items.length) {
    root.append(emptyState(h('p', {}, 'No findings' + (Object.keys(q).length ? ' match these filters.' : ' yet: every contract holds.'))));
  } else {
    root.append(h('div', {class: 'scroll'}, h('table', {class: 'grid', id: 'findings'},
      h('thead', {}, h('tr', {}, ['#', 'State', 'Target', 'Case', 'From \u2192 to', 'First', 'Last', 'Fixed by', 'Seen', 'Acked', 'Links']
        .map((t) => h('th', {}, t)))),
      h('tbody', {}, list.items.map((f) => h('tr', {dataset: {key: f.key}},
        h('td', {class: 'num'}, h('a', {href: '#/finding/' + f.id}, String(f.id))),
        h('td', {}, stateBadge(f)), h('td', {}, f.target), h('td', {}, f.case),
        h('td', {}, h('code', {}, `${f.from} \u2192 ${f.to}`)),
        h('td', {}, f.first_kernel), h('td', {}, f.last_kernel), h('td', {}, f.fixed_kernel || '-'),
        h('td', {class: 'num'}, String(f.seen)), h('td', {}, f.acked_by || '-'),
        h('td', {class: 'num'}, String(f.links))))))));
  }
  root.append(h('h2', {}, 'Known issues'));
  if (!known.items.length) {
    root.append(emptyState(h('p', {}, 'None. ', h('code', {}, 'iommulab findings expect --reason TEXT --case GLOB ...'), ' adds one.')));
    return;
  }
  root.append(h('div', {class: 'scroll'}, h('table', {class: 'grid', id: 'known-issues'},
    h('thead', {}, h('tr', {}, ['#', 'State', 'Driver', 'Case', 'Target', 'Kernels', 'Findings', 'Reason', 'By'].map((t) => h('th', {}, t)))),
    h('tbody', {}, known.items.map((k) => h('tr', {dataset: {state: k.state}},
      h('td', {class: 'num'}, String(k.id)), h('td', {}, knownState(k)), h('td', {}, k.driver || '*'), h('td', {}, k.case || '*'),
      h('td', {}, k.target || '*'), h('td', {}, `${k.kernel_min || ''}..${k.kernel_max || ''}`),
      h('td', {class: 'num'}, String(k.findings)), h('td', {}, k.reason), h('td', {}, k.created_by || '-')))))),
    h('p', {class: 'muted'}, 'A retired known issue matches nothing: its failures count again. Retire one with ',
      h('code', {}, 'iommulab findings retire ID --reason TEXT'), '.'));
}
