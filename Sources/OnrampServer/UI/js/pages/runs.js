// Run history: filters (pipeline, state, date range) in the URL, pages by the API's cursor.
import { h, table, field, pageTitle, replace, errorBox } from '../ui.js';
import { tenantPath } from '../api.js';
import { RUN_STATES, pipelines, runColumns, t } from './shared.js';

const PAGE = 50;

export async function render(root, params, ctx) {
  const tenant = params.tenant;
  const q = params.query;
  const { list, names } = await pipelines(ctx.api, tenant);
  const pipeline = h('select', { name: 'pipeline' }, h('option', { value: '' }, 'All pipelines'),
    list.map((p) => h('option', { value: p.id, selected: q.get('pipeline') === p.id }, p.name)));
  const state = h('select', { name: 'state' }, h('option', { value: '' }, 'Any state'),
    RUN_STATES.map((s) => h('option', { value: s, selected: q.get('state') === s }, s.replace(/_/g, ' '))));
  const from = h('input', { type: 'date', name: 'from', value: q.get('from') || '' });
  const to = h('input', { type: 'date', name: 'to', value: q.get('to') || '' });
  const filters = h('form', { class: 'card row filters', onsubmit: (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const [k, el] of [['pipeline', pipeline], ['state', state], ['from', from], ['to', to]]) if (el.value) next.set(k, el.value);
    const s = next.toString();
    ctx.navigate(`${t(tenant)}/runs${s ? '?' + s : ''}`);
  } }, field('Pipeline', pipeline), field('State', state), field('From', from), field('To', to),
  h('div', { class: 'field' }, h('button', { type: 'submit', class: 'btn primary' }, 'Apply')));
  const results = h('div', { 'aria-live': 'polite' });
  root.append(pageTitle('Runs'), filters, results);

  // Dates are the viewer's local days: from the first instant of `from` up to the start of the day after `to`.
  const day = (text, later) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text || '')) return undefined;
    const [y, m, d] = text.split('-').map(Number);
    const at = new Date(2000, 0, 1);
    at.setFullYear(y, m - 1, d + later);
    return Number.isNaN(at.getTime()) ? undefined : at.toISOString().replace(/\.\d+Z$/, 'Z');
  };
  const query = {
    pipeline_id: q.get('pipeline') || undefined, state: q.get('state') || undefined,
    created_from: day(q.get('from'), 0), created_before: day(q.get('to'), 1),
  };
  const stack = [];

  async function page(cursor) {
    const answer = await ctx.api.get(tenantPath(tenant, '/runs'), { query: { ...query, limit: PAGE, cursor } });
    return { rows: answer.runs || [], next: answer.next_cursor };
  }

  async function show(cursor) {
    try {
      const { rows, next } = await page(cursor);
      const older = h('button', { type: 'button', class: 'btn', disabled: !next, onclick: () => { stack.push(cursor); show(next); } },
        'Older runs');
      const newer = h('button', { type: 'button', class: 'btn', disabled: stack.length === 0, onclick: () => show(stack.pop()) },
        'Newer runs');
      replace(results, table(runColumns(tenant, names), rows, { empty: 'No runs match.', caption: 'Runs' }),
        h('nav', { class: 'pager', 'aria-label': 'Pages' }, newer, older));
    } catch (err) { replace(results, errorBox(err)); }
  }
  await show(undefined);
}
