// web/js/overview.js - per vendor and driver: the latest nightly's
// conformance (results passing their contract / results judged; skips are
// counted apart), open regressions, and a trend chart over the last
// nightlies drawn as inline SVG. One request: GET /overview. Regressions are
// the diff engine's (server/core/diff.h): failures a known issue covers
// ("expected") and changes between two QEMU versions are listed apart.
import {h, s, api, pct, fmtTime, emptyState, verdictBadge, errname} from './util.js';

const N = 8;

// conformance trend: one point per nightly slot (null slots leave a gap)
function trendChart(trend) {
  const W = 160, H = 36, pad = 3;
  const n = trend.length;
  const x = (i) => (n <= 1 ? W / 2 : pad + (i * (W - 2 * pad)) / (n - 1));
  const y = (f) => H - pad - f * (H - 2 * pad);
  const svg = s('svg', {viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'trend', role: 'img'});
  svg.append(s('line', {x1: 0, x2: W, y1: y(1), y2: y(1), class: 'grid'}),
    s('line', {x1: 0, x2: W, y1: y(0), y2: y(0), class: 'grid'}));
  let d = '', label = [];
  trend.forEach((c, i) => {
    if (!c || !c.judged) { label.push('-'); return; }
    const f = c.pass / c.judged;
    d += (d && trend[i - 1] && trend[i - 1].judged ? 'L' : 'M') + x(i).toFixed(1) + ' ' + y(f).toFixed(1) + ' ';
    label.push(Math.round(f * 100) + '%');
    svg.append(s('circle', {cx: x(i).toFixed(1), cy: y(f).toFixed(1), r: 2.5,
      class: c.fail || c.error ? 'pt bad' : 'pt good'}, s('title', {}, `nightly #${c.plan_id}: ${c.pass}/${c.judged} pass`)));
  });
  if (d) svg.insertBefore(s('path', {d, class: 'line'}), svg.querySelector('circle'));
  svg.setAttribute('aria-label', 'conformance per nightly: ' + label.join(', '));
  return svg;
}

function bar(c) {
  const w = (n) => (c.total ? (100 * n) / c.total : 0) + '%';
  const vs = ['pass', 'fail', 'crash', 'warn', 'error', 'skip'];
  return h('div', {class: 'bar', title: vs.map((v) => `${c[v] || 0} ${v}`).join(', ')},
    vs.map((v) => h('span', {class: 'b-' + v, style: 'width:' + w(c[v] || 0)})));
}

export async function render(root, r, ctx) {
  root.append(h('h1', {}, 'Overview'));
  let o = await api('/overview?nightlies=' + N);
  if (!o.nightlies.length) {
    // no nightly yet (make demo submits a manual plan): the newest plans of any kind
    const any = await api('/overview?kind=any&nightlies=' + N);
    if (any.nightlies.length) o = any;
  }
  if (ctx.stale()) return;
  if (!o.nightlies.length) {
    root.append(emptyState(h('p', {}, 'No nightly results yet: run ', h('code', {}, 'make demo'),
      ' or submit a plan of kind "nightly" (POST /api/v1/plans), then come back.'),
      h('p', {}, 'Results of other plans are in the ', h('a', {href: '#/matrix'}, 'matrix'), '.')));
    return;
  }
  const last = o.nightlies[o.nightlies.length - 1];
  if (o.kind !== 'nightly')
    root.append(h('p', {class: 'note', id: 'overview-kind'}, 'No nightly plan has results yet: showing the newest plans of any kind instead ' +
      '(submit plans with "kind": "nightly" for the nightly view).'));
  root.append(h('p', {class: 'muted'}, `Latest ${o.kind === 'nightly' ? 'nightly' : 'plan'} #${last.id}${last.name ? ' "' + last.name + '"' : ''}`,
    last.kernels ? ' (kernels ' + last.kernels.join(', ') + ')' : '', ', ', fmtTime(last.created_at),
    ` - ${o.nightlies.length} ${o.kind === 'nightly' ? 'nightlies' : 'plans'} in the trend, oldest left.`));

  // per vendor: a table of its drivers
  const vendors = [...new Set(o.drivers.map((d) => d.vendor))].sort();
  const tbl = h('table', {class: 'grid overview', id: 'overview-table'},
    h('thead', {}, h('tr', {}, ['Vendor', 'Driver', 'Targets', 'Conformance', '', 'Skipped', 'Open regr.', 'Expected', 'Trend']
      .map((t, i) => h('th', {class: i === 2 ? 'col-targets' : i === 4 ? 'col-bar' : null}, t)))));
  const body = h('tbody');
  for (const v of vendors) {
    const ds = o.drivers.filter((d) => d.vendor === v).sort((a, b) => a.driver.localeCompare(b.driver));
    ds.forEach((d, i) => {
      const c = d.latest || {pass: 0, judged: 0, skip: 0, fail: 0, error: 0, crash: 0, warn: 0, total: 0};
      const mq = new URLSearchParams({vendor: v === 'unknown' ? '' : v, driver: d.driver}).toString();
      body.append(h('tr', {dataset: {vendor: v, driver: d.driver}},
        i === 0 ? h('th', {rowspan: ds.length, class: 'vendor'}, v) : null,
        h('td', {}, h('a', {href: '#/matrix?' + mq}, d.driver)),
        h('td', {class: 'small col-targets'}, d.targets.join(', ')),
        h('td', {class: 'num conf'}, `${c.pass}/${c.judged}`, h('span', {class: 'muted'}, ' ' + pct(c.pass, c.judged))),
        h('td', {class: 'barcell col-bar'}, bar(c)),
        h('td', {class: 'num'}, String(c.skip)),
        h('td', {class: 'num' + (d.regressions ? ' regress' : '')}, String(d.regressions)),
        h('td', {class: 'num expected', title: 'failures a known issue covers; QEMU changes'},
          String(d.expected || 0), (d.qemu_changes ? h('span', {class: 'muted small'}, ' +' + d.qemu_changes + ' QEMU') : null)),
        h('td', {}, trendChart(d.trend))));
    });
  }
  tbl.append(body);
  root.append(h('div', {class: 'scroll'}, tbl));

  root.append(h('h2', {}, 'Open regressions (' + o.regressions.length + ')'));
  if (!o.regressions.length) {
    root.append(emptyState('No open regressions: the diff of each case\'s latest nightly against the nightly before finds none.'));
  } else {
    const rt = h('table', {class: 'grid', id: 'regressions'},
      h('thead', {}, h('tr', {}, ['Vendor', 'Driver', 'Target', 'Case', 'Was', 'Now'].map((t) => h('th', {}, t)))),
      h('tbody', {}, o.regressions.map((g) => h('tr', {},
        h('td', {}, g.vendor), h('td', {}, g.driver), h('td', {}, g.target), h('td', {class: 'case'}, g.case),
        h('td', {}, h('a', {href: '#/result/' + g.base.result_id}, errname(g.base.observed)), ' ', verdictBadge(g.base.verdict),
          h('span', {class: 'muted small'}, ' #' + g.base.plan_id)),
        h('td', {}, h('a', {href: '#/result/' + g.head.result_id}, errname(g.head.observed)), ' ', verdictBadge(g.head.verdict),
          h('span', {class: 'muted small'}, ' #' + g.head.plan_id))))));
    root.append(h('div', {class: 'scroll'}, rt));
  }
  // rows the diff engine does not count: a known issue's expected failures, QEMU changes
  const apart = [
    ['expected', 'Expected failures (known issues, not regressions)', o.expected || [],
      (g) => g.known_issue ? `known issue ${g.known_issue.id}: ${g.known_issue.reason}` : ''],
    ['qemu-changes', 'QEMU changes (not kernel regressions)', o.qemu_changes || [],
      (g) => `${g.class}, QEMU ${g.qemu && g.qemu.base || '?'} \u2192 ${g.qemu && g.qemu.head || '?'}`],
  ];
  for (const [id, title, rows, why] of apart) {
    if (!rows.length) continue;
    root.append(h('h3', {}, `${title} (${rows.length})`));
    root.append(h('div', {class: 'scroll'}, h('table', {class: 'grid', id},
      h('thead', {}, h('tr', {}, ['Vendor', 'Driver', 'Target', 'Case', 'Was', 'Now', 'Why'].map((t) => h('th', {}, t)))),
      h('tbody', {}, rows.map((g) => h('tr', {},
        h('td', {}, g.vendor), h('td', {}, g.driver), h('td', {}, g.target), h('td', {class: 'case'}, g.case),
        h('td', {}, h('a', {href: '#/result/' + g.base.result_id}, errname(g.base.observed)), ' ', verdictBadge(g.base.verdict)),
        h('td', {}, h('a', {href: '#/result/' + g.head.result_id}, errname(g.head.observed)), ' ', verdictBadge(g.head.verdict)),
        h('td', {class: 'small'}, why(g))))))));
  }
  if (o.nightlies.length >= 2) {
    const a = o.nightlies[o.nightlies.length - 2], b = last;
    root.append(h('p', {}, h('a', {href: `#/diff?base_plan=${a.id}&head_plan=${b.id}`, id: 'diff-last-nightlies'},
      `Diff of the last two nightlies (#${a.id} \u2192 #${b.id})`)));
  }
}
