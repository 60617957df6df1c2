// The error queue: failed records grouped by code, searchable; select records to replay, ignore or reopen them.
import { h, table, field, pageTitle, replace, errorBox, badge, busy, toast, confirmDialog } from '../ui.js';
import { tenantPath } from '../api.js';
import { pipelines, t, canChange, runLink } from './shared.js';

const PAGE = 50;
const FILTERS = ['run_id', 'pipeline_id', 'state', 'code', 'step'];

export async function render(root, params, ctx) {
  const tenant = params.tenant;
  const api = ctx.api;
  const q = params.query;
  const changer = canChange(ctx.me);
  const filter = Object.fromEntries(FILTERS.map((k) => [k, q.get(k) || undefined]));
  if (!q.has('state')) filter.state = 'open';
  const { list, names } = await pipelines(api, tenant);

  const pipeline = h('select', { name: 'pipeline_id' }, h('option', { value: '' }, 'All pipelines'),
    list.map((p) => h('option', { value: p.id, selected: filter.pipeline_id === p.id }, p.name)));
  const state = h('select', { name: 'state' }, ['open', 'ignored', 'resolved', ''].map((s) =>
    h('option', { value: s, selected: (filter.state || '') === s }, s || 'any state')));
  const search = h('input', { type: 'search', name: 'search', value: q.get('q') || '', placeholder: 'message, code, field or step' });
  const apply = () => {
    const next = new URLSearchParams();
    for (const k of ['run_id', 'code', 'step']) if (filter[k]) next.set(k, filter[k]);
    if (pipeline.value) next.set('pipeline_id', pipeline.value);
    next.set('state', state.value);
    if (search.value.trim()) next.set('q', search.value.trim());
    ctx.navigate(`${t(tenant)}/errors?${next}`);
  };
  const chips = ['run_id', 'code', 'step'].filter((k) => filter[k]).map((k) => h('span', { class: 'badge' }, `${k.replace('_id', '')}: ${filter[k]}`));
  root.append(pageTitle('Error queue', chips.length ? h('div', {}, chips, ' ', h('a', { href: `#${t(tenant)}/errors` }, 'clear')) : null),
    h('form', { class: 'card row', role: 'search', onsubmit: (e) => { e.preventDefault(); apply(); } },
      field('Pipeline', pipeline), field('State', state), field('Search', search),
      h('div', { class: 'field' }, h('button', { type: 'submit', class: 'btn primary' }, 'Search'))));

  // The search is the API's: message, code, field or step, over every page.
  if (q.get('q')) filter.search = q.get('q');
  const query = Object.fromEntries(Object.entries(filter).filter(([, v]) => v));

  const groups = (await api.get(tenantPath(tenant, '/error-groups'), { query })).groups || [];
  // A group's link keeps the filters and the search (in the page's own `q`).
  const groupLink = (code) => {
    const { search: text, ...rest } = query;
    return new URLSearchParams({ ...rest, code, ...(text ? { q: text } : {}) });
  };
  root.append(h('section', { 'aria-labelledby': 'groups' }, h('h2', { id: 'groups' }, 'By code'),
    table([
      { label: 'Code', value: (g) => h('a', { href: `#${t(tenant)}/errors?${groupLink(g.code)}` }, g.code) },
      { label: 'Field', value: (g) => g.field || '' },
      { label: 'Step', value: (g) => g.step || '' },
      { label: 'Records', class: 'num', value: (g) => String(g.count) },
    ], groups, { empty: 'No failed records match. All good.' })));

  const selected = new Set();
  const listBox = h('div', { 'aria-live': 'polite' });
  const replaySelected = h('button', { type: 'button', class: 'btn primary', disabled: true, onclick: async (e) => {
    if (!await confirmDialog(`Replay ${selected.size} record${selected.size === 1 ? '' : 's'} through the pipeline's current version?`,
      { confirm: 'Replay' })) return;
    const run = await busy(e.target.closest('button'), () => api.post(tenantPath(tenant, '/errors/replay'), { ids: [...selected] }));
    if (run) { toast('Replay queued.', 'success'); ctx.navigate(`${t(tenant)}/runs/${encodeURIComponent(run.id)}`); }
  } }, 'Replay selected');
  const scope = filter.run_id || filter.pipeline_id;
  const replayAll = scope && filter.state === 'open' ? h('button', { type: 'button', class: 'btn', onclick: async (e) => {
    if (!await confirmDialog('Replay every open record that matches these filters?', { confirm: 'Replay all' })) return;
    const f = Object.fromEntries(['run_id', 'pipeline_id', 'code', 'step', 'search'].filter((k) => filter[k])
      .map((k) => [k, filter[k]]));
    const run = await busy(e.target.closest('button'), () => api.post(tenantPath(tenant, '/errors/replay'), { filter: f }));
    if (run) { toast('Replay queued.', 'success'); ctx.navigate(`${t(tenant)}/runs/${encodeURIComponent(run.id)}`); }
  } }, 'Replay all matching') : null;
  root.append(h('section', { 'aria-labelledby': 'records' },
    h('div', { class: 'page-head' }, h('h2', { id: 'records' }, 'Records'),
      changer ? h('div', { class: 'actions' }, replayAll, replaySelected) : null),
    listBox));

  const stack = [];
  async function show(cursor) {
    try {
      const answer = await api.get(tenantPath(tenant, '/errors'), { query: { ...query, limit: PAGE, cursor } });
      const rows = answer.errors || [];
      const columns = [
        { label: 'Record', value: (e) => h('a', { href: `#${t(tenant)}/errors/${encodeURIComponent(e.id)}` },
          e.file ? `${e.file}${e.line ? ':' + e.line : ''}` : (e.key || e.id.slice(0, 8))) },
        { label: 'Code', value: (e) => h('code', {}, e.code) },
        { label: 'Message', value: (e) => e.message },
        { label: 'Field', value: (e) => e.field || '' },
        { label: 'Pipeline', value: (e) => names.get(e.pipeline_id) || e.pipeline_id },
        { label: 'Run', value: (e) => runLink(tenant, { id: e.run_id, created_at: e.created_at }) },
        { label: 'State', value: (e) => h('span', {}, badge(e.state), e.edited_at ? h('span', { class: 'muted' }, ' edited') : null) },
      ];
      if (changer) {
        columns.unshift({ label: 'Select', value: (e) => e.state === 'open' ? h('input', { type: 'checkbox',
          'aria-label': `Select ${e.code} ${e.file || ''} ${e.line || ''}`, checked: selected.has(e.id), onchange: (ev) => {
            if (ev.target.checked) selected.add(e.id); else selected.delete(e.id);
            replaySelected.disabled = selected.size === 0;
          } }) : '' });
        columns.push({ label: 'Actions', value: (e) => e.state === 'resolved' ? '' : h('button', { type: 'button', class: 'btn small',
          onclick: async (ev) => {
            const to = e.state === 'open' ? 'ignored' : 'open';
            const done = await busy(ev.target.closest('button'), () => api.post(tenantPath(tenant, `/errors/${encodeURIComponent(e.id)}/state`),
              { state: to }), to === 'ignored' ? 'Ignored.' : 'Reopened.');
            if (done) show(cursor);
          } }, e.state === 'open' ? 'Ignore' : 'Reopen') });
      }
      const older = h('button', { type: 'button', class: 'btn', disabled: !answer.next_cursor,
        onclick: () => { stack.push(cursor); show(answer.next_cursor); } }, 'Older');
      const newer = h('button', { type: 'button', class: 'btn', disabled: !stack.length, onclick: () => show(stack.pop()) }, 'Newer');
      replace(listBox, table(columns, rows, { empty: 'No records match.', caption: 'Failed records' }),
        h('nav', { class: 'pager', 'aria-label': 'Pages' }, newer, older));
    } catch (err) { replace(listBox, errorBox(err)); }
  }
  await show(undefined);
}
