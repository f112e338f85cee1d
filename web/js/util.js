// web/js/util.js - DOM building, API access and formatting shared by the pages.
//
// Invariants: text from the API only ever reaches the page through
// document.createTextNode / element properties (h() below), never through
// HTML-parsing sinks (80-dashboard.sh greps for them), so a case id or
// log line cannot inject markup. Every fetch goes to this same server's
// /api/v1 (relative URL).
// Errors: api() rejects with an Error whose .status is the HTTP status and
// whose .message is the server's {"error"} text.

// h('a', {href: '#/x', class: 'c'}, 'text', child...) -> element
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, kids);
  return el;
}

function append(el, kids) {
  for (const k of kids) {
    if (k === null || k === undefined || k === false) continue;
    if (Array.isArray(k)) append(el, k);
    else if (k instanceof Node) el.appendChild(k);
    else el.appendChild(document.createTextNode(String(k)));
  }
}

// SVG element (namespace), same attribute rules
export function s(tag, attrs, ...kids) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {}))
    if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  append(el, kids);
  return el;
}

export async function api(path, opts) {
  const r = await fetch('api/v1' + path, Object.assign({headers: {Accept: 'application/json'}}, opts || {}));
  const ctype = r.headers.get('Content-Type') || '';
  let body = null;
  if (ctype.startsWith('application/json')) body = await r.json();
  else body = await r.text();
  if (!r.ok) {
    const e = new Error((body && body.error) || ('HTTP ' + r.status));
    e.status = r.status;
    throw e;
  }
  return body;
}

// query string from an object, skipping empty values
export function qs(o) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o))
    if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const t = p.toString();
  return t ? '?' + t : '';
}

// Linux errno numbers (asm-generic, x86/arm64) -> names; 0 = OK
const ERRNO = {
  0: 'OK', 1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 5: 'EIO', 6: 'ENXIO', 7: 'E2BIG',
  8: 'ENOEXEC', 9: 'EBADF', 10: 'ECHILD', 11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES',
  14: 'EFAULT', 15: 'ENOTBLK', 16: 'EBUSY', 17: 'EEXIST', 18: 'EXDEV', 19: 'ENODEV',
  20: 'ENOTDIR', 21: 'EISDIR', 22: 'EINVAL', 23: 'ENFILE', 24: 'EMFILE', 25: 'ENOTTY',
  26: 'ETXTBSY', 27: 'EFBIG', 28: 'ENOSPC', 29: 'ESPIPE', 30: 'EROFS', 31: 'EMLINK',
  32: 'EPIPE', 33: 'EDOM', 34: 'ERANGE', 38: 'ENOSYS', 61: 'ENODATA', 62: 'ETIME',
  71: 'EPROTO', 75: 'EOVERFLOW', 95: 'EOPNOTSUPP', 110: 'ETIMEDOUT', 124: 'EMEDIUMTYPE',
  524: 'ENOTSUPP',
};
export function errname(n) {
  if (n === null || n === undefined) return '-';
  return ERRNO[n] || ('errno ' + n);
}

export function fmtTime(sec) {
  if (!sec) return '-';
  const d = new Date(sec * 1000);
  return d.toISOString().replace('T', ' ').slice(0, 16) + 'Z';
}

export function fmtDur(sec) {
  if (sec === null || sec === undefined || sec < 0) return '-';
  sec = Math.round(sec);
  if (sec < 60) return sec + 's';
  if (sec < 3600) return Math.floor(sec / 60) + 'm ' + (sec % 60) + 's';
  return Math.floor(sec / 3600) + 'h ' + Math.floor((sec % 3600) / 60) + 'm';
}

export function pct(a, b) {
  return b ? Math.round((100 * a) / b) + '%' : '-';
}

// kernels sorted by version-ish name ("6.1" < "6.1.12" < "6.12")
export function kernelCmp(a, b) {
  const pa = String(a).split(/[^0-9]+/).filter(Boolean).map(Number);
  const pb = String(b).split(/[^0-9]+/).filter(Boolean).map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] === undefined ? -1 : pa[i], y = pb[i] === undefined ? -1 : pb[i];
    if (x !== y) return x - y;
  }
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

export function verdictBadge(v) {
  return h('span', {class: 'badge v-' + (v || 'none')}, v || '-');
}

// a select bound to options [[value, label]...]
export function select(name, options, value, label) {
  const sel = h('select', {name, id: 'f-' + name},
    options.map(([v, l]) => h('option', {value: v, selected: String(v) === String(value || '')}, l)));
  return h('label', {class: 'field'}, h('span', {}, label), sel);
}

export function emptyState(...msg) {
  return h('div', {class: 'empty'}, ...msg);
}

export function errorBox(e) {
  return h('div', {class: 'error', role: 'alert'}, 'Error: ', e && e.message ? e.message : String(e));
}

// a pager: "prev 1..n next" for page p of n pages; onpage(p) is called with the new page
export function pager(p, n, onpage) {
  if (n <= 1) return null;
  const btn = (label, to, dis) => h('button', {type: 'button', disabled: dis, onclick: () => onpage(to)}, label);
  return h('div', {class: 'pager'},
    btn('\u2039 prev', p - 1, p <= 1),
    h('span', {class: 'pageinfo'}, 'page ' + p + ' of ' + n),
    btn('next \u203a', p + 1, p >= n));
}

// a cached GET for data that does not change within a session view
const cache = new Map();
export function cached(path, ttlMs) {
  const now = Date.now(), c = cache.get(path);
  if (c && now - c.t < (ttlMs || 10000)) return c.p;
  const p = api(path);
  cache.set(path, {t: now, p});
  p.catch(() => cache.delete(path));
  return p;
}
