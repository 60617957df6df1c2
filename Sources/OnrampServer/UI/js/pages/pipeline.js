// One pipeline: run now or fully re-sync, its schedules (create, edit, enable/disable, delete), its latest runs; for a
// push pipeline, its edge agents, push keys and pushed batches.
import { h, table, badge, formatTime, pageTitle, confirmDialog, toast, replace, busy } from '../ui.js';
import { tenantPath } from '../api.js';
import { runColumns, t, canChange } from './shared.js';
import { scheduleEditor } from './schedule-editor.js';
import { pushSections } from './push-panel.js';

export async function render(root, params, ctx) {
  const tenant = params.tenant;
  const api = ctx.api;
  const pipeline = await api.get(tenantPath(tenant, '/pipelines/' + encodeURIComponent(params.pipeline)));
  const base = `#${t(tenant)}/pipelines/${encodeURIComponent(pipeline.id)}`;
  const changer = canChange(ctx.me);
  const builder = ['platform_admin', 'engineer'].includes(ctx.me.principal.role);

  async function runNow(button, fullResync) {
    const ok = await confirmDialog(fullResync
      ? `Run "${pipeline.name}" with a full re-sync? It ignores what earlier runs read and reads everything again.`
      : `Run "${pipeline.name}" now?`, { confirm: fullResync ? 'Full re-sync' : 'Run now' });
    if (!ok) return;
    const run = await busy(button, () => api.post(tenantPath(tenant, `/pipelines/${encodeURIComponent(pipeline.id)}/runs`),
      { full_resync: fullResync }));
    if (run) { toast('Run queued.', 'success'); ctx.navigate(`${t(tenant)}/runs/${encodeURIComponent(run.id)}`); }
  }

  const runButton = h('button', { type: 'button', class: 'btn primary', onclick: (e) => runNow(e.currentTarget, false) }, 'Run now');
  const resyncButton = h('button', { type: 'button', class: 'btn', onclick: (e) => runNow(e.currentTarget, true) }, 'Full re-sync');
  root.append(pageTitle(pipeline.name, h('div', { class: 'actions' },
    changer ? runButton : null, changer ? resyncButton : null,
    h('a', { class: 'btn', href: base + '/versions' }, 'Versions'),
    builder ? h('a', { class: 'btn', href: base + '/design' }, 'Open in designer') : null)));
  root.append(h('div', { class: 'card' }, h('dl', { class: 'props' },
    h('dt', {}, 'Id'), h('dd', { class: 'mono' }, pipeline.id),
    h('dt', {}, 'Version'), h('dd', {}, `${pipeline.version} (saved ${formatTime(pipeline.created_at)})`),
    h('dt', {}, 'Source'), h('dd', {}, describe(pipeline.document?.source)),
    h('dt', {}, 'Destination'), h('dd', {}, describe(pipeline.document?.destination)),
    h('dt', {}, 'Steps'), h('dd', {}, String((pipeline.document?.steps || []).length)))));

  const schedulesBox = h('section', { 'aria-labelledby': 'schedules' });
  root.append(schedulesBox);
  async function loadSchedules() {
    const all = (await api.get(tenantPath(tenant, '/schedules'))).schedules || [];
    const mine = all.filter((s) => s.pipeline_id === pipeline.id);
    const editorBox = h('div');
    const add = h('button', { type: 'button', class: 'btn', onclick: () => edit(null) }, 'Add schedule');
    function edit(s) {
      replace(editorBox, scheduleEditor(api, s || { cron: '0 6 * * *', timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC', enabled: true }, {
        saveLabel: s ? 'Save schedule' : 'Create schedule',
        onCancel: () => replace(editorBox),
        onSave: async (value) => {
          if (s) await api.patch(tenantPath(tenant, '/schedules/' + encodeURIComponent(s.id)), value);
          else await api.post(tenantPath(tenant, `/pipelines/${encodeURIComponent(pipeline.id)}/schedules`), value);
          toast(s ? 'Schedule saved.' : 'Schedule created.', 'success');
          await loadSchedules();
        },
      }));
      editorBox.querySelector('select, input')?.focus();
    }
    replace(schedulesBox, h('div', { class: 'page-head' }, h('h2', { id: 'schedules' }, 'Schedules'), changer ? add : null),
      table([
        { label: 'Cron', value: (s) => h('code', {}, s.cron) },
        { label: 'Time zone', value: (s) => s.timezone },
        { label: 'State', value: (s) => badge(s.enabled ? 'enabled' : 'disabled') },
        { label: 'Next fire times', value: (s) => s.enabled
          ? h('ol', { class: 'fire-times' }, (s.next_fire_times || []).map((x) => h('li', { title: x }, formatTime(x))))
          : h('span', { class: 'muted' }, 'paused') },
        { label: 'Last fired', value: (s) => formatTime(s.last_fired_at) || 'never' },
        { label: 'Actions', value: (s) => changer ? h('div', { class: 'actions left' },
          h('button', { type: 'button', class: 'btn small', onclick: () => edit(s) }, 'Edit'),
          h('button', { type: 'button', class: 'btn small', onclick: async (e) => {
            const done = await busy(e.target.closest('button'), () => api.patch(tenantPath(tenant, '/schedules/' + encodeURIComponent(s.id)),
              { enabled: !s.enabled }), s.enabled ? 'Schedule disabled.' : 'Schedule enabled.');
            if (done) await loadSchedules();
          } }, s.enabled ? 'Disable' : 'Enable'),
          h('button', { type: 'button', class: 'btn small', onclick: async (e) => {
            if (!await confirmDialog(`Delete the schedule ${s.cron} (${s.timezone})?`, { confirm: 'Delete', danger: true })) return;
            const done = await busy(e.target.closest('button'), () => api.del(tenantPath(tenant, '/schedules/' + encodeURIComponent(s.id))),
              'Schedule deleted.');
            if (done !== undefined) await loadSchedules();
          } }, 'Delete')) : '' },
      ], mine, { empty: 'No schedule: this pipeline runs only when started.' }), editorBox);
  }
  await loadSchedules();

  if (pipeline.document?.source?.connector === 'push') await pushSections(root, ctx, tenant, pipeline, changer);

  const runs = (await api.get(tenantPath(tenant, '/runs'), { query: { pipeline_id: pipeline.id, limit: 10 } })).runs || [];
  root.append(h('section', { 'aria-labelledby': 'runs' }, h('h2', { id: 'runs' }, 'Latest runs'),
    table(runColumns(tenant, new Map([[pipeline.id, pipeline.name]])), runs, { empty: 'Not run yet.' }),
    h('p', {}, h('a', { href: `#${t(tenant)}/runs?pipeline=${encodeURIComponent(pipeline.id)}` }, 'All runs of this pipeline'))));
}

function describe(side) {
  if (!side) return '';
  if (side.connection) return `connection ${side.connection}`;
  return side.connector || '';
}
