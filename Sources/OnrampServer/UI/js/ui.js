// DOM helpers. Data from the API only ever becomes text nodes or attribute values, never markup.

const PROPS = new Set(['value', 'checked', 'selected', 'disabled', 'hidden', 'indeterminate', 'open', 'multiple']);

/** Builds an element: `on…` attrs become listeners, known props are set as properties, others as attributes;
 * string children become text nodes, arrays are flattened, null/false are skipped. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (PROPS.has(k)) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A short message in the live region; `kind` is info, success or error. */
export function toast(message, kind = 'info') {
  const box = document.getElementById('toasts');
  if (!box) return;
  const item = h('div', { class: ['toast', 'toast-' + kind], role: kind === 'error' ? 'alert' : null }, message);
  box.appendChild(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

/** A modal <dialog> asking to confirm; resolves true only on the confirm button. */
export function confirmDialog(text, { confirm = 'Confirm', cancel = 'Cancel', danger = false } = {}) {
  return new Promise((resolve) => {
    const yes = h('button', { type: 'submit', value: 'yes', class: danger ? 'btn danger' : 'btn primary' }, confirm);
    const dialog = h('dialog', { class: 'dialog', 'aria-label': 'Confirm' },
      h('form', { method: 'dialog' },
        h('p', {}, text),
        h('div', { class: 'actions' },
          h('button', { type: 'submit', value: 'no', class: 'btn' }, cancel), yes)));
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'yes');
      dialog.remove();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    yes.focus();
  });
}

/** A modal <dialog> with arbitrary content; `close()` closes it. Resolves with the dialog's returnValue. */
export function openDialog(title, build) {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'dialog wide', 'aria-label': title });
    const close = (value = '') => dialog.close(value);
    dialog.append(h('h2', {}, title), build(close));
    dialog.addEventListener('close', () => { resolve(dialog.returnValue); dialog.remove(); });
    document.body.appendChild(dialog);
    dialog.showModal();
  });
}

/** An ISO time in the viewer's locale ("2 Dec 2026, 08:00"); empty for null. */
export function formatTime(iso, { seconds = false } = {}) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(undefined, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
    second: seconds ? '2-digit' : undefined,
  });
}

/** "in 3 h", "5 min ago". */
export function relativeTime(iso) {
  if (!iso) return '';
  const diff = (new Date(iso).getTime() - Date.now()) / 1000;
  const abs = Math.abs(diff);
  const [n, unit] = abs < 60 ? [abs, 'second'] : abs < 3600 ? [abs / 60, 'minute']
    : abs < 86400 ? [abs / 3600, 'hour'] : [abs / 86400, 'day'];
  return new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' }).format(Math.round(diff < 0 ? -n : n), unit);
}

/** A table: columns are `{label, value: row => string|Node, class?}`; an empty list shows `empty`. */
export function table(columns, rows, { empty = 'Nothing here yet.', caption } = {}) {
  if (!rows || rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'table' },
      caption ? h('caption', { class: 'sr-only' }, caption) : null,
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => h('td', { class: c.class, 'data-label': c.label },
        c.value(r))))))));
}

/** An error as a visible alert: its message, code and field. */
export function errorBox(err) {
  const message = err && err.message ? err.message : String(err);
  return h('div', { class: 'error-box', role: 'alert' },
    h('strong', {}, 'Something went wrong: '), message,
    err && err.code ? h('span', { class: 'muted' }, ` (${err.code}${err.field ? ' at ' + err.field : ''})`) : null);
}

/** A coloured badge for a run, error or schedule state; `label` is its text when not the state's. */
export function badge(state, label) {
  const s = String(state || 'unknown');
  return h('span', { class: ['badge', 'badge-' + s.replace(/[^a-z_]/g, '')] }, label ?? s.replace(/_/g, ' '));
}

/** A labelled form field around `input` (its id is generated when absent); `help` is a description. */
let fieldCount = 0;
export function field(label, input, help) {
  if (!input.id) input.id = 'f' + (++fieldCount);
  const helpEl = help ? h('small', { class: 'help', id: input.id + '-help' }, help) : null;
  if (helpEl) input.setAttribute('aria-describedby', helpEl.id);
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, helpEl);
}

/** Calls `fn` once `ms` have passed without another call. */
export function debounce(fn, ms) {
  let timer;
  const wrapped = (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

/** A page heading that receives focus after navigation. */
export function pageTitle(text, ...extra) {
  return h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, text), ...extra);
}

/** Runs `action` with the button disabled; shows a toast on success or the error. */
export async function busy(button, action, success) {
  button.disabled = true;
  try {
    const result = await action();
    if (success) toast(success, 'success');
    return result;
  } catch (e) {
    toast(e.message || String(e), 'error');
    return undefined;
  } finally {
    button.disabled = false;
  }
}

/** Bytes as "12.3 KB". */
export function formatBytes(n) {
  if (n === null || n === undefined) return '';
  if (n < 1024) return n + ' B';
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024; let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return v.toFixed(v < 10 ? 1 : 0) + ' ' + units[i];
}

/** A link to a hash route. */
export function link(href, text, attrs = {}) {
  return h('a', { href: '#' + href, ...attrs }, text);
}
