// Records of a preview as a table (top-level fields as columns, nested values as JSON text) or as JSON, and a
// node's errors. A row can be picked as the sample record the JSONata editor evaluates on.
import { h } from '../ui.js';

const MAX_COLUMNS = 30;

/** The columns of a table of records: their top-level keys in first-seen order (at most 30). */
export function columnsOf(records) {
  const seen = new Set();
  for (const r of records) {
    if (r && typeof r === 'object' && !Array.isArray(r)) for (const k of Object.keys(r)) seen.add(k);
    if (seen.size >= MAX_COLUMNS) break;
  }
  return [...seen].slice(0, MAX_COLUMNS);
}

function cell(v) {
  if (v === undefined) return '';
  if (v === null) return 'null';
  if (typeof v === 'object') {
    const s = JSON.stringify(v);
    return s.length > 120 ? `${s.slice(0, 120)}…` : s;
  }
  return String(v);
}

/**
 * A records view with Table/JSON buttons. `opts`: `title`, `onPick(index)` (makes rows selectable),
 * `picked` (the selected row).
 */
export function recordsView(records, opts = {}) {
  const list = Array.isArray(records) ? records : [];
  let mode = opts.mode || 'table';
  const body = h('div', { class: 'pv-body' });
  const tableButton = h('button', { type: 'button', class: 'btn small', 'aria-pressed': 'true' }, 'Table');
  const jsonButton = h('button', { type: 'button', class: 'btn small', 'aria-pressed': 'false' }, 'JSON');
  const show = () => {
    tableButton.setAttribute('aria-pressed', String(mode === 'table'));
    jsonButton.setAttribute('aria-pressed', String(mode === 'json'));
    if (!list.length) body.replaceChildren(h('p', { class: 'empty' }, 'No records.'));
    else if (mode === 'json') body.replaceChildren(h('pre', { class: 'pv-json' }, JSON.stringify(list, null, 2)));
    else body.replaceChildren(recordsTable(list, opts));
  };
  tableButton.addEventListener('click', () => { mode = 'table'; show(); });
  jsonButton.addEventListener('click', () => { mode = 'json'; show(); });
  show();
  return h('section', { class: 'pv-records', 'data-records': opts.name || '' },
    h('div', { class: 'pv-head' }, h('h4', {}, `${opts.title || 'Records'} (${list.length})`),
      h('div', { class: 'pv-modes', role: 'group', 'aria-label': `${opts.title || 'Records'} view` }, tableButton,
        jsonButton)),
    body);
}

function recordsTable(list, opts) {
  const columns = columnsOf(list);
  const rows = list.map((r, i) => {
    const values = r && typeof r === 'object' && !Array.isArray(r) ? columns.map((c) => cell(r[c])) : [cell(r)];
    const tr = h('tr', { class: opts.picked === i ? 'pv-picked' : '' },
      h('td', { class: 'num' }, opts.onPick
        ? h('button', { type: 'button', class: 'btn small', 'aria-pressed': String(opts.picked === i),
          'aria-label': `Use record ${i + 1} as the sample`, onclick: () => opts.onPick(i) }, String(i + 1))
        : String(i + 1)),
      ...values.map((v) => h('td', {}, v)));
    return tr;
  });
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table pv-table' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, '#'),
      ...(columns.length ? columns : ['value']).map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, ...rows)));
}

/** A node's errors: code, message, field and where the record came from. */
export function errorsView(errors) {
  if (!errors?.length) return h('p', { class: 'pv-noerrors' }, 'No errors at this node.');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table pv-errors' },
    h('thead', {}, h('tr', {}, ...['Code', 'Message', 'Field', 'Where'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, ...errors.map((e) => h('tr', { class: e.severity === 'warning' ? 'pv-warning' : '' },
      h('td', {}, e.code || ''), h('td', {}, e.message || ''), h('td', {}, e.field || ''),
      h('td', {}, e.at || [e.file, e.line].filter((x) => x !== null && x !== undefined).join(':')))))));
}

/** A dry run's answers: each transaction's tax or its refusal. */
export function dryRunView(answers) {
  if (!answers?.length) return h('p', { class: 'empty' }, 'No transactions were sent.');
  const tax = (r) => r?.totalTax ?? r?.total_tax ?? r?.tax ?? null;
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table pv-dryrun' },
    h('thead', {}, h('tr', {}, ...['Record', 'Transaction', 'Outcome', 'Tax or refusal'].map((c) =>
      h('th', { scope: 'col' }, c)))),
    h('tbody', {}, ...answers.map((a) => h('tr', { class: a.error ? 'pv-refused' : 'pv-calculated' },
      h('td', {}, a.at || ''), h('td', {}, cell(a.sent?.transactionId ?? '')),
      h('td', {}, a.error ? 'refused' : 'calculated'),
      h('td', {}, a.error ? `${a.error.code}: ${a.error.message}` : cell(tax(a.result) ?? a.result)))))));
}
