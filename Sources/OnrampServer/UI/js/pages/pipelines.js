// The tenant's pipelines, each with its schedules and when it runs next.
import { h, table, badge, formatTime, pageTitle } from '../ui.js';
import { tenantPath } from '../api.js';
import { pipelineLink, t } from './shared.js';

export async function render(root, params, ctx) {
  const tenant = params.tenant;
  const [pipes, schedules] = await Promise.all([
    ctx.api.get(tenantPath(tenant, '/pipelines')).then((a) => a.pipelines || []),
    ctx.api.get(tenantPath(tenant, '/schedules')).then((a) => a.schedules || []),
  ]);
  const builder = ['platform_admin', 'engineer'].includes(ctx.me.principal.role);
  root.append(pageTitle('Pipelines', builder
    ? h('a', { class: 'btn primary', href: `#${t(tenant)}/design/new` }, 'New pipeline') : null));
  const byPipeline = new Map();
  for (const s of schedules) byPipeline.set(s.pipeline_id, [...(byPipeline.get(s.pipeline_id) || []), s]);
  root.append(table([
    { label: 'Pipeline', value: (p) => pipelineLink(tenant, p.id, p.name) },
    { label: 'Version', class: 'num', value: (p) => String(p.version) },
    { label: 'Schedules', value: (p) => {
      const list = byPipeline.get(p.id) || [];
      if (!list.length) return h('span', { class: 'muted' }, 'on demand only');
      return h('ul', { class: 'plain' }, list.map((s) => h('li', {}, h('code', {}, s.cron), ` ${s.timezone} `,
        badge(s.enabled ? 'enabled' : 'disabled'))));
    } },
    { label: 'Next run', value: (p) => {
      const next = (byPipeline.get(p.id) || []).filter((s) => s.enabled).map((s) => (s.next_fire_times || [])[0])
        .filter(Boolean).sort()[0];
      return next ? formatTime(next) : '';
    } },
    { label: 'Saved', value: (p) => formatTime(p.created_at) },
  ], pipes, { empty: 'No pipelines yet.', caption: 'Pipelines' }));
}
