// web/js/diff.js - errno-level diff of two kernels or two plans, rows grouped
// by class; the URL (#/diff?base=&head= or ?base_plan=&head_plan=, with
// &base_target=&head_target= across two twin targets, e.g. q35-vtd and
// q35-vtd-q10) is the permalink. Rows whose sides ran on different QEMU
// versions (qemu_change) are a section of their own: QEMU changes, not
// kernel regressions. Requests: /kernels, /plans, /targets (cached), /diffs.
import {h, api, cached, select, emptyState, verdictBadge, kernelCmp} from './util.js';

// every class of server/core/diff.h, regressions first
const ORDER = ['new_crash', 'new_warning', 'pass_to_fail', 'missing', 'setup_changed', 'errno_changed', 'flaky',
  'crash_fixed', 'fail_to_pass', 'verdict_changed', 'new', 'unchanged'];
const TITLE = {
  new_crash: 'New crash', new_warning: 'New kernel warning', crash_fixed: 'Crash fixed',
  pass_to_fail: 'Pass \u2192 fail', errno_changed: 'Errno changed', fail_to_pass: 'Fail \u2192 pass',
  setup_changed: 'Setup step changed', flaky: 'Flaky (repeats disagree)',
  verdict_changed: 'Verdict changed', new: 'New', missing: 'Missing', unchanged: 'Unchanged',
};

function side(sd) {
  if (!sd) return h('span', {class: 'muted'}, '-');
  const notRun = sd.verdict === 'skip' && !sd.setup && !sd.observed;
  const dist = (sd.distribution || []).map((p) => `${p.observed_name}/${p.verdict} x${p.count}`).join(', ');
  return h('span', {}, h('a', {href: '#/result/' + sd.result_id, class: 'errno'}, notRun ? 'not run' : sd.observed_name), ' ',
    verdictBadge(sd.verdict),
    sd.flaky ? h('sup', {title: `flaky over ${sd.runs} repeats: ${dist}`}, '~') : null,
    sd.flaky ? h('span', {class: 'muted small dist'}, ' ' + dist) : null,
    sd.setup ? h('span', {class: 'muted small setup'}, ` setup ${sd.setup.step}: ${sd.setup.errno_name}`) : null,
    sd.expected_name ? h('span', {class: 'muted small'}, ' exp ' + sd.expected_name) : null);
}

// a row a known issue covers (server/core/diff_known.h): expected (no
// regression) or an expected failure that passes again
function knownBadge(x) {
  const k = x.known_issue;
  if (!k) return null;
  const passed = k.label === 'expected_passed';
  return h('span', {class: 'badge known ' + (passed ? 'v-pass' : 'v-skip'), dataset: {known: k.label, ki: k.id},
    title: `known issue ${k.id}: ${k.reason}` + (k.retire ? ` \u2014 passes again: retire it with: ${k.retire}` : '')},
  passed ? `expected failure passed (known issue ${k.id})` : `expected (known issue ${k.id})`);
}

export async function render(root, r, ctx) {
  const q = r.query;
  root.append(h('h1', {}, 'Diff'));
  const [kl, pl, tl] = await Promise.all([cached('/kernels'), cached('/plans?limit=200'), cached('/targets')]);
  if (ctx.stale()) return;
  const kernels = kl.items.map((k) => k.name).sort(kernelCmp);
  const byPlan = !!(q.base_plan || q.head_plan);
  const kopt = [['', '-']].concat(kernels.map((k) => [k, k]));
  const popt = [['', '-']].concat(pl.items.map((p) => [p.id, `#${p.id} ${p.kind}${p.name ? ' ' + p.name : ''}`]));
  const topt = [['', 'every target']].concat(tl.items.map((t) => t.name).sort().map((t) => [t, t]));
  const form = h('form', {class: 'filters', id: 'diff-form'},
    select('base', kopt, q.base || (byPlan ? '' : kernels[kernels.length - 2]), 'Base kernel'),
    select('head', kopt, q.head || (byPlan ? '' : kernels[kernels.length - 1]), 'Head kernel'),
    h('span', {class: 'or'}, 'or'),
    select('base_plan', popt, q.base_plan, 'Base plan'),
    select('head_plan', popt, q.head_plan, 'Head plan'),
    select('base_target', topt, q.base_target, 'Base target'),
    select('head_target', topt, q.head_target, 'Head target'),
    h('label', {class: 'field check'}, h('input', {type: 'checkbox', name: 'all', value: '1', checked: q.all === '1'}), h('span', {}, 'show unchanged')),
    h('button', {type: 'submit'}, 'Compare'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = Object.fromEntries(new FormData(form));
    if (f.base_plan || f.head_plan) { delete f.base; delete f.head; }
    if (!f.base_target || !f.head_target) { delete f.base_target; delete f.head_target; }
    ctx.go(f);
  });
  root.append(form);

  let path;
  const pq = {};
  if (byPlan) {
    if (!q.base_plan || !q.head_plan) { root.append(emptyState('Pick both plans.')); return; }
    path = `/diffs?base_plan=${encodeURIComponent(q.base_plan)}&head_plan=${encodeURIComponent(q.head_plan)}`;
    Object.assign(pq, {base_plan: q.base_plan, head_plan: q.head_plan});
  } else {
    const b = q.base || kernels[kernels.length - 2], hd = q.head || kernels[kernels.length - 1];
    if (!b || !hd) {
      root.append(emptyState(h('p', {}, 'Two kernels with results are needed for a diff: run ', h('code', {}, 'make demo'),
        ' (it measures 6.1 and 6.12).')));
      return;
    }
    path = `/diffs?base=${encodeURIComponent(b)}&head=${encodeURIComponent(hd)}`;
    Object.assign(pq, {base: b, head: hd});
  }
  if (q.base_target && q.head_target) {
    path += `&base_target=${encodeURIComponent(q.base_target)}&head_target=${encodeURIComponent(q.head_target)}`;
    Object.assign(pq, {base_target: q.base_target, head_target: q.head_target});
  }
  if (q.all !== '1') path += '&changes_only=1';
  const d = await api(path);
  if (ctx.stale()) return;

  const label = (x) => x.name || (x.id !== undefined ? '#' + x.id : JSON.stringify(x));
  if (q.all === '1') pq.all = '1';
  const perma = location.href.split('#')[0] + '#/diff?' + new URLSearchParams(pq).toString();
  root.append(h('p', {class: 'summary', id: 'diff-summary'},
    `${d.by === 'plan' ? 'Plan' : 'Kernel'} ${label(d.base)} \u2192 ${label(d.head)}`,
    d.targets ? `, target ${d.targets.base} \u2192 ${d.targets.head}` : '', ': ',
    ORDER.filter((c) => d.summary[c] !== undefined).map((c) => h('span', {class: 'count c-' + c, dataset: {class: c}}, `${d.summary[c]} ${c}`)),
    h('span', {class: 'count regressions', id: 'diff-regressions', dataset: {class: 'regressions'}}, `${d.summary.regressions || 0} regressions`),
    d.summary.expected ? h('span', {class: 'count expected', id: 'diff-expected', dataset: {class: 'expected'}}, `${d.summary.expected} expected (known issues)`) : null,
    d.summary.expected_passed ? h('span', {class: 'count expected-passed', id: 'diff-expected-passed', dataset: {class: 'expected_passed'}},
      `${d.summary.expected_passed} expected failures passed`) : null,
    h('span', {class: 'count qemu-changes', id: 'diff-qemu-changes', dataset: {class: 'qemu_changes'}}, `${d.summary.qemu_changes || 0} QEMU changes`),
    ' ', h('a', {href: perma, id: 'permalink', class: 'permalink'}, 'permalink')));

  if (!d.rows.length) {
    root.append(emptyState(q.all === '1' ? 'Neither side has results.' : 'No changes between these two: every result has the same errno and verdict.'));
    return;
  }
  // the QEMU changes first and apart: each row's class and both QEMU versions
  const qrows = d.rows.filter((x) => x.qemu_change);
  if (qrows.length) {
    root.append(h('h2', {id: 'class-qemu_change', class: 'c-qemu_change'},
      `QEMU change, not a kernel regression (${qrows.length})`));
    root.append(h('div', {class: 'scroll'}, h('table', {class: 'grid diff', dataset: {class: 'qemu_change'}},
      h('thead', {}, h('tr', {}, ['Target', 'Driver', 'Case', 'Base', 'Head', 'Class', 'QEMU'].map((t) => h('th', {}, t)))),
      h('tbody', {}, qrows.slice(0, 2000).map((x) => h('tr', {},
        h('td', {}, x.target), h('td', {}, x.driver), h('td', {class: 'case'}, x.case),
        h('td', {}, side(x.base)), h('td', {}, side(x.head)), h('td', {class: 'c-' + x.class}, x.class),
        h('td', {class: 'qemu'}, `${x.qemu.base} \u2192 ${x.qemu.head}`)))))));
  }
  for (const c of ORDER) {
    const rows = d.rows.filter((x) => x.class === c && !x.qemu_change);
    if (!rows.length) continue;
    root.append(h('h2', {id: 'class-' + c, class: 'c-' + c}, `${TITLE[c]} (${rows.length})`));
    root.append(h('div', {class: 'scroll'}, h('table', {class: 'grid diff', dataset: {class: c}},
      h('thead', {}, h('tr', {}, ['Target', 'Driver', 'Case', 'Base', 'Head'].map((t) => h('th', {}, t)))),
      h('tbody', {}, rows.slice(0, 2000).map((x) => h('tr', {},
        h('td', {}, x.target), h('td', {}, x.driver), h('td', {class: 'case'}, x.case, x.known_issue ? ' ' : null, knownBadge(x)),
        h('td', {}, side(x.base)), h('td', {}, side(x.head))))))));
    if (rows.length > 2000) root.append(h('p', {class: 'muted'}, `first 2000 of ${rows.length} shown; the text form is at `,
      h('a', {href: 'api/v1' + path + '&format=text'}, 'this link'), '.'));
  }
}
