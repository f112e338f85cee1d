// web/js/matrix.js - the driver x case x kernel grid.
//
// Rows are (driver, target, case), columns the kernels of the selected range
// (at most MAXK, the newest of the range), each cell the observed errno name
// coloured by verdict and linking to the result. Filters (vendor, driver,
// target, arch, kernel range, verdict, case text) live in the URL hash;
// rows are paged (ROWS per page) so 10,000 results stay usable. Requests:
// /kernels, /targets (cached), then one /matrix per kernel in the range.
import {h, api, cached, errname, select, emptyState, pager, kernelCmp} from './util.js';

const MAXK = 8;
const ROWS = 60;

export async function render(root, r, ctx) {
  const q = r.query;
  root.append(h('h1', {}, 'Matrix'));
  const [kl, tl] = await Promise.all([cached('/kernels'), cached('/targets')]);
  if (ctx.stale()) return;
  const targets = tl.items;
  const tmap = new Map(targets.map((t) => [t.name, t]));
  const uniq = (a) => [...new Set(a.filter(Boolean))].sort();
  const arches = uniq(targets.map((t) => t.arch).concat(kl.items.map((k) => k.arch)));
  let kernels = kl.items.filter((k) => !q.arch || k.arch === q.arch).map((k) => k.name).sort(kernelCmp);

  // filter form
  const opt = (vals, any) => [['', any]].concat(vals.map((v) => [v, v]));
  const form = h('form', {class: 'filters', id: 'matrix-filters'},
    select('vendor', opt(uniq(targets.map((t) => t.vendor)), 'any vendor'), q.vendor, 'Vendor'),
    select('driver', opt(uniq(targets.map((t) => t.driver)), 'any driver'), q.driver, 'Driver'),
    select('target', opt(uniq(targets.map((t) => t.name)), 'any target'), q.target, 'Target'),
    select('arch', opt(arches, 'any arch'), q.arch, 'Arch'),
    select('kernel_from', opt(kernels, 'oldest'), q.kernel_from, 'Kernel from'),
    select('kernel_to', opt(kernels, 'newest'), q.kernel_to, 'to'),
    select('verdict', opt(['pass', 'fail', 'skip', 'error', 'changed'], 'any verdict'), q.verdict, 'Verdict'),
    h('label', {class: 'field'}, h('span', {}, 'Case'), h('input', {name: 'case', value: q.case || '', placeholder: 'e.g. attach', size: 12})),
    h('button', {type: 'submit'}, 'Apply'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = Object.fromEntries(new FormData(form));
    ctx.go(f);
  });
  root.append(form);

  if (!kernels.length) {
    root.append(emptyState(h('p', {}, 'No kernels registered', q.arch ? ' for ' + q.arch : '',
      ': no results yet. Run ', h('code', {}, 'make demo'), ' to fetch kernels and run the matrix.')));
    return;
  }
  let lo = q.kernel_from ? kernels.indexOf(q.kernel_from) : 0;
  let hi = q.kernel_to ? kernels.indexOf(q.kernel_to) : kernels.length - 1;
  if (lo < 0) lo = 0;
  if (hi < 0) hi = kernels.length - 1;
  if (lo > hi) [lo, hi] = [hi, lo];
  let range = kernels.slice(lo, hi + 1);
  const note = [];
  if (range.length > MAXK) {
    note.push(`${range.length} kernels in the range: showing the newest ${MAXK} (narrow "Kernel from").`);
    range = range.slice(range.length - MAXK);
  }

  const ms = await Promise.all(range.map((k) => api('/matrix?kernel=' + encodeURIComponent(k)).catch((e) => ({error: e, kernel: {name: k}, cells: []}))));
  if (ctx.stale()) return;

  // rows keyed by driver/target/case
  const rows = new Map();
  ms.forEach((m, ki) => {
    for (const c of m.cells) {
      const t = tmap.get(c.target) || {};
      if (q.vendor && t.vendor !== q.vendor) continue;
      if (q.driver && c.driver !== q.driver) continue;
      if (q.target && c.target !== q.target) continue;
      if (q.arch && t.arch && t.arch !== q.arch) continue;
      if (q.case && !c.case.includes(q.case)) continue;
      const key = c.driver + '\u0000' + c.target + '\u0000' + c.case;
      let row = rows.get(key);
      if (!row) rows.set(key, row = {driver: c.driver, target: c.target, case: c.case, cells: Array.from({length: range.length}, () => null)});
      row.cells[ki] = c;
    }
  });
  let list = [...rows.values()];
  if (q.verdict === 'changed') {
    list = list.filter((rw) => new Set(rw.cells.filter(Boolean).map((c) => c.observed + '/' + c.verdict)).size > 1);
  } else if (q.verdict) {
    list = list.filter((rw) => rw.cells.some((c) => c && c.verdict === q.verdict));
  }
  list.sort((a, b) => a.driver.localeCompare(b.driver) || a.target.localeCompare(b.target) || a.case.localeCompare(b.case));

  const total = {pass: 0, fail: 0, crash: 0, warn: 0, skip: 0, error: 0};
  for (const rw of list) for (const c of rw.cells) if (c) total[c.verdict]++;
  root.append(h('p', {class: 'summary', id: 'matrix-summary'},
    `${list.length} rows x ${range.length} kernel${range.length === 1 ? '' : 's'}: `,
    ...['pass', 'fail', 'crash', 'warn', 'error', 'skip'].filter((v) => v !== 'crash' && v !== 'warn' || total[v]).map((v) => h('span', {class: 'count v-' + v}, `${total[v]} ${v}`)),
    note.length ? h('span', {class: 'muted'}, ' ' + note.join(' ')) : null));
  for (const m of ms) if (m.error) root.append(h('p', {class: 'error'}, `kernel ${m.kernel.name}: ${m.error.message}`));

  if (!list.length) {
    root.append(emptyState(rows.size || q.verdict ? 'No results match these filters: widen them.' :
      h('p', {}, 'No results for these kernels yet: run ', h('code', {}, 'make demo'), ' (or rig/matrix) and ingest its logs.')));
    return;
  }
  const pages = Math.max(1, Math.ceil(list.length / ROWS));
  const page = Math.min(pages, Math.max(1, parseInt(q.page || '1', 10) || 1));
  const slice = list.slice((page - 1) * ROWS, page * ROWS);
  const goPage = (p) => ctx.go(Object.assign({}, q, {page: p}));

  const head = h('tr', {}, h('th', {class: 'col-driver'}, 'Driver'), h('th', {}, 'Target'), h('th', {}, 'Case'),
    range.map((k) => h('th', {class: 'k'}, h('a', {href: '#/matrix?' + new URLSearchParams(Object.assign({}, q, {kernel_from: k, kernel_to: k, page: ''})).toString()}, k))));
  const body = h('tbody', {}, slice.map((rw) => h('tr', {},
    h('td', {class: 'col-driver'}, rw.driver), h('td', {}, rw.target), h('td', {class: 'case', title: rw.case}, rw.case),
    rw.cells.map((c, i) => {
      if (!c) return h('td', {class: 'cell none', title: 'no result'}, '\u00b7');
      const name = c.verdict === 'skip' ? 'skip' : errname(c.observed);
      const tip = `${rw.case} on ${range[i]}/${rw.target}: ${name}, expected ${c.expected === null ? 'no contract' : errname(c.expected)} (${c.verdict})` +
        (c.distinct_observed > 1 ? `; flaky: ${c.distinct_observed} different errnos over ${c.runs} runs` : '');
      return h('td', {class: 'cell v-' + c.verdict, title: tip},
        h('a', {href: '#/result/' + c.result_id, dataset: {kernel: range[i], target: rw.target, case: rw.case, verdict: c.verdict}}, name),
        c.distinct_observed > 1 ? h('sup', {title: 'flaky'}, '~') : null);
    }))));
  const pg = () => pager(page, pages, goPage) || [];
  root.append(...[pg()].flat());
  root.append(h('div', {class: 'scroll'}, h('table', {class: 'grid matrix', id: 'matrix'}, h('thead', {}, head), body)));
  root.append(...[pg()].flat());
  root.append(h('p', {class: 'legend'}, 'Cell: the observed errno; colour: ',
    ...['pass', 'fail', 'crash', 'warn', 'error', 'skip'].filter((v) => v !== 'crash' && v !== 'warn' || total[v]).map((v) => h('span', {class: 'badge v-' + v}, v)), ' ~ = flaky over repeats.'));
}
