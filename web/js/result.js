// web/js/result.js - one result: every step's errno, the expected contract,
// domain reuse, verification, the kernel's report (oops, WARNING, ...) when
// it logged one during the case, the case's catalogue entry and an excerpt
// of the job's console log around this case.
// Requests: /results?cursor=ID+1&limit=1 (the API pages newest first, so
// this is the result ID itself), /jobs/J, /cases/C, /jobs/J/log.
import {h, api, errname, verdictBadge, fmtTime, emptyState} from './util.js';

// the lines of @log around the agent's lines for @cs (its KTAP line and its record)
export function excerpt(log, cs) {
  const lines = log.split('\n');
  const hits = [];
  lines.forEach((l, i) => { if (l.includes(cs)) hits.push(i); });
  if (!hits.length) return null;
  const keep = new Set();
  for (const i of hits) for (let j = Math.max(0, i - 4); j <= Math.min(lines.length - 1, i + 2); j++) keep.add(j);
  const out = [];
  let prev = -2;
  for (const i of [...keep].sort((a, b) => a - b).slice(0, 80)) {
    if (i !== prev + 1) out.push('...');
    out.push(lines[i].length > 400 ? lines[i].slice(0, 400) + ' [...]' : lines[i]);
    prev = i;
  }
  return out.join('\n');
}

function kv(rows) {
  return h('dl', {class: 'kv'}, rows.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export async function render(root, r, ctx) {
  const id = parseInt(r.parts[1], 10);
  if (!(id > 0)) {
    root.append(h('h1', {}, 'Result'), emptyState('No result id in the URL: open one from the ', h('a', {href: '#/matrix'}, 'matrix'), '.'));
    return;
  }
  const l = await api('/results?limit=1&cursor=' + (id + 1));
  if (ctx.stale()) return;
  const res = l.items[0];
  if (!res || res.id !== id) {
    root.append(h('h1', {}, 'Result ' + id), emptyState('No result ' + id + ' in this database.'));
    return;
  }
  const [job, cs] = await Promise.all([
    api('/jobs/' + res.job_id).catch(() => null),
    api('/cases/' + encodeURIComponent(res.case)).catch(() => null)]);
  if (ctx.stale()) return;
  root.append(h('h1', {}, h('span', {class: 'case'}, res.case), ' ', verdictBadge(res.verdict)),
    h('p', {class: 'muted'}, `result ${res.id} - kernel `,
      h('a', {href: '#/matrix?kernel_from=' + encodeURIComponent(res.kernel) + '&kernel_to=' + encodeURIComponent(res.kernel)}, res.kernel),
      ` on target ${res.target}, driver ${res.driver}${res.iommu ? ' (' + res.iommu + ')' : ''}, job `,
      h('a', {href: '#/job/' + res.job_id}, '#' + res.job_id), ', ', fmtTime(res.created_at)));

  const ok = res.expected !== null && res.observed === res.expected;
  root.append(h('div', {class: 'cards'},
    h('div', {class: 'card', id: 'result-errno'}, h('h2', {}, 'Errno'),
      kv([['observed', h('b', {class: 'errno'}, errname(res.observed), ' (' + res.observed + ')')],
        ['expected', res.expected === null ? h('span', {class: 'muted'}, 'no contract entry') :
          h('b', {class: 'errno' + (ok ? '' : ' mismatch')}, errname(res.expected), ' (' + res.expected + ')')],
        ['contract rule', res.contract || '-'],
        ['verdict', verdictBadge(res.verdict)],
        res.reason ? ['reason', res.reason] : null])),
    h('div', {class: 'card'}, h('h2', {}, 'Domain'),
      kv([['reused domain', res.reused === null || res.reused === undefined ? 'n/a (not a reuse case)' : res.reused ? 'yes' : 'no'],
        ['verification', res.verified || 'none'],
        ['duration', res.duration_us !== undefined ? (res.duration_us / 1000).toFixed(1) + ' ms' : '-'],
        ['repeat', String(res.repeat || 0)]]))));

  // a kernel report the agent (or crash isolation) saw during the case:
  // its kind and the whole report, from its first line (docs/records.md)
  if (res.kernel_excerpt) {
    root.append(h('h2', {}, 'Kernel report'),
      h('p', {id: 'kernel-kind'}, 'The kernel logged ', h('b', {}, res.kernel_kind || 'a report'),
        ' while this case ran', res.verdict === 'crash' || res.verdict === 'warn' ?
          ': that decided the verdict, whatever errno the case observed.' : '.'),
      h('pre', {class: 'log', id: 'kernel-report'}, res.kernel_excerpt));
  }

  root.append(h('h2', {}, 'Steps'));
  root.append(h('div', {class: 'scroll'}, h('table', {class: 'grid', id: 'steps'},
    h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'Step'), h('th', {}, 'Errno'), h('th', {}, ''))),
    h('tbody', {}, (res.steps || []).map((st, i) => h('tr', {class: st.errno ? 'step-err' : ''},
      h('td', {class: 'num'}, String(i + 1)), h('td', {}, st.name), h('td', {class: 'errno'}, st.err || errname(st.errno)),
      h('td', {class: 'num muted'}, String(st.errno))))))));

  root.append(h('h2', {}, 'Contract'));
  if (cs) {
    root.append(cs.title ? h('p', {}, cs.title) : '',
      h('pre', {class: 'json', id: 'contract'}, JSON.stringify(cs.contracts, null, 1)));
  } else {
    root.append(emptyState('Case ' + res.case + ' is not in the imported catalogue (POST /api/v1/cases with the agent\'s ',
      h('code', {}, 'iommulab-agent -l -j'), '); the rule that applied was "' + (res.contract || '-') + '".'));
  }

  root.append(h('h2', {}, 'Log excerpt'));
  const pre = h('pre', {class: 'log', id: 'log-excerpt'}, 'loading...');
  root.append(pre);
  // the console log only when the job has one (has_log); the job's page
  // shows its preparation log, whether or not a console log followed
  if (job && job.has_log === false) {
    pre.textContent = 'job ' + res.job_id + ' has no console log (its results were ingested without one, ' +
      'or a new attempt has not booted yet).';
    root.append(h('p', {}, h('a', {href: '#/job/' + res.job_id}, 'Job #' + res.job_id + (job.has_prep_log ? ' and its preparation log' : ''))));
    return;
  }
  try {
    const log = await api('/jobs/' + res.job_id + '/log');
    if (ctx.stale()) return;
    pre.textContent = excerpt(String(log), res.case) || 'the log of job ' + res.job_id + ' does not mention ' + res.case;
  } catch (e) {
    pre.textContent = 'no log: ' + e.message;
  }
  root.append(h('p', {}, h('a', {href: '#/job/' + res.job_id}, 'Full log of job #' + res.job_id)));
}
