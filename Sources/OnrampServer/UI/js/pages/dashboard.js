// The dashboard: runs by state over the last 7 days (failures first), recent failures, the next scheduled runs.
import { h, table, badge, formatTime, relativeTime, pageTitle } from '../ui.js';
import { tenantPath } from '../api.js';
import { RUN_STATES, pipelines, runsUntil, runColumns, pipelineLink, t } from './shared.js';

const DAYS = 7;

export async function render(root, params, ctx) {
  const tenant = params.tenant;
  const since = Date.now() - DAYS * 86400 * 1000;
  const [{ names }, runs, schedules] = await Promise.all([
    pipelines(ctx.api, tenant),
    runsUntil(ctx.api, tenant, { stop: (r) => new Date(r.created_at).getTime() < since }),
    ctx.api.get(tenantPath(tenant, '/schedules')).then((a) => a.schedules || []),
  ]);
  const counts = Object.fromEntries(RUN_STATES.map((s) => [s, 0]));
  for (const r of runs) counts[r.state] = (counts[r.state] || 0) + 1;
  const failures = runs.filter((r) => r.state === 'failed' || r.state === 'succeeded_with_errors');
  const bad = counts.failed + counts.succeeded_with_errors;

  root.append(pageTitle('Dashboard', h('span', { class: 'muted' }, `Tenant ${tenant} · last ${DAYS} days`)));
  root.append(bad === 0
    ? h('p', { class: 'all-good', role: 'status' }, runs.length === 0
      ? `All good: no runs in the last ${DAYS} days, nothing failed.`
      : `All good: ${runs.length} run${runs.length === 1 ? '' : 's'} in the last ${DAYS} days, none failed.`)
    : h('p', { class: 'error-box', role: 'status' },
      `${bad} run${bad === 1 ? '' : 's'} in the last ${DAYS} days failed or had failed records.`));

  const max = Math.max(1, ...Object.values(counts));
  root.append(h('section', { class: 'card', 'aria-labelledby': 'by-state' },
    h('h2', { id: 'by-state' }, 'Runs by state'),
    h('div', { class: 'bars' }, RUN_STATES.map((s) => {
      const fill = h('span', { class: 'fill' });
      fill.style.width = `${(counts[s] / max) * 100}%`;
      const tone = s === 'failed' || s === 'cancelled' ? 'bad' : s === 'succeeded_with_errors' ? 'warn'
        : s === 'succeeded' ? 'ok' : '';
      return h('div', { class: ['bar', tone] },
        h('a', { href: `#${t(tenant)}/runs?state=${s}` }, badge(s)),
        h('span', { class: 'track', 'aria-hidden': 'true' }, fill),
        h('span', { class: 'num', 'data-state': s }, String(counts[s])));
    }))));

  if (failures.length) {
    root.append(h('section', { 'aria-labelledby': 'failures' }, h('h2', { id: 'failures' }, 'Failures first'),
      table(runColumns(tenant, names), failures.slice(0, 10))));
  }

  const upcoming = [];
  for (const s of schedules) {
    for (const at of (s.enabled ? s.next_fire_times || [] : []).slice(0, 3)) upcoming.push({ at, s });
  }
  upcoming.sort((a, b) => a.at.localeCompare(b.at));
  root.append(h('section', { 'aria-labelledby': 'next' }, h('h2', { id: 'next' }, 'Next scheduled runs'),
    table([
      { label: 'When', value: (u) => h('span', { title: u.at }, `${formatTime(u.at)} (${relativeTime(u.at)})`) },
      { label: 'Pipeline', value: (u) => pipelineLink(tenant, u.s.pipeline_id, names.get(u.s.pipeline_id)) },
      { label: 'Schedule', value: (u) => h('span', {}, h('code', {}, u.s.cron), ' ', u.s.timezone) },
    ], upcoming.slice(0, 8), { empty: 'No schedule is enabled.' })));

  root.append(h('section', { 'aria-labelledby': 'recent' }, h('h2', { id: 'recent' }, 'Latest runs'),
    table(runColumns(tenant, names), runs.slice(0, 10), { empty: `No runs in the last ${DAYS} days.` }),
    h('p', {}, h('a', { href: `#${t(tenant)}/runs` }, 'All runs'))));
}
