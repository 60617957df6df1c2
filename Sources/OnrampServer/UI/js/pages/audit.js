// The tenant's audit log, newest first, paged by cursor.
import { h, table, pageTitle, replace, errorBox, formatTime } from '../ui.js';
import { tenantPath } from '../api.js';

export async function render(root, params, ctx) {
  const tenant = params.tenant;
  const box = h('div', { 'aria-live': 'polite' });
  root.append(pageTitle('Audit log'), h('p', { class: 'muted' }, 'Every change made through the API or this site, by whom.'), box);
  const stack = [];
  async function show(cursor) {
    try {
      const answer = await ctx.api.get(tenantPath(tenant, '/audit'), { query: { limit: 50, cursor } });
      const older = h('button', { type: 'button', class: 'btn', disabled: !answer.next_cursor,
        onclick: () => { stack.push(cursor); show(answer.next_cursor); } }, 'Older');
      const newer = h('button', { type: 'button', class: 'btn', disabled: !stack.length, onclick: () => show(stack.pop()) }, 'Newer');
      replace(box, table([
        { label: 'When', value: (e) => formatTime(e.at, { seconds: true }) },
        { label: 'Who', value: (e) => `${e.actor?.name || e.actor?.id || '?'} (${(e.actor?.type || '').replace('_', ' ')})` },
        { label: 'Action', value: (e) => e.action },
        { label: 'What', value: (e) => `${e.resource_type} ${e.resource_id || ''}` },
        { label: 'Status', class: 'num', value: (e) => String(e.status) },
      ], answer.entries || [], { empty: 'Nothing recorded yet.', caption: 'Audit log' }),
      h('nav', { class: 'pager', 'aria-label': 'Pages' }, newer, older));
    } catch (err) { replace(box, errorBox(err)); }
  }
  await show(undefined);
}
