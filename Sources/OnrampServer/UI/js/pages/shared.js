// What the portal pages share: pipeline names, run states, links and paging through runs.
import { h, badge, formatTime } from '../ui.js';
import { tenantPath } from '../api.js';

export const RUN_STATES = ['failed', 'succeeded_with_errors', 'cancelled', 'running', 'queued', 'succeeded'];
export const FINISHED = new Set(['succeeded', 'succeeded_with_errors', 'failed', 'cancelled']);

export function t(tenant) { return '/t/' + encodeURIComponent(tenant); }

/** The tenant's pipelines and a map from id to name. */
export async function pipelines(api, tenant) {
  const answer = await api.get(tenantPath(tenant, '/pipelines'));
  const list = answer.pipelines || [];
  return { list, names: new Map(list.map((p) => [p.id, p.name])) };
}

/** Runs newest first, following cursors until `stop(run)` or `maxPages` pages. */
export async function runsUntil(api, tenant, { stop, maxPages = 5, query = {} } = {}) {
  const out = [];
  let cursor;
  for (let page = 0; page < maxPages; page++) {
    const answer = await api.get(tenantPath(tenant, '/runs'), { query: { ...query, limit: 500, cursor } });
    for (const r of answer.runs || []) {
      if (stop && stop(r)) return out;
      out.push(r);
    }
    cursor = answer.next_cursor;
    if (!cursor) break;
  }
  return out;
}

export function runLink(tenant, run, text) {
  return h('a', { href: '#' + t(tenant) + '/runs/' + encodeURIComponent(run.id) }, text || formatTime(run.created_at));
}

export function pipelineLink(tenant, id, name) {
  return h('a', { href: '#' + t(tenant) + '/pipelines/' + encodeURIComponent(id) }, name || id);
}

/** The columns of a run table. */
export function runColumns(tenant, names) {
  return [
    { label: 'Started', value: (r) => runLink(tenant, r) },
    { label: 'Pipeline', value: (r) => pipelineLink(tenant, r.pipeline_id, names.get(r.pipeline_id) || r.summary?.pipeline) },
    { label: 'State', value: (r) => badge(r.state) },
    { label: 'Trigger', value: (r) => (r.kind === 'replay' ? 'replay' : r.trigger) + (r.full_resync ? ' (full re-sync)' : '') },
    { label: 'Read', class: 'num', value: (r) => String(r.summary?.records_read ?? 0) },
    { label: 'Written', class: 'num', value: (r) => String(r.summary?.records_written ?? 0) },
    { label: 'Failed', class: 'num', value: (r) => String(r.summary?.records_failed ?? 0) },
  ];
}

export function canChange(me) {
  return ['platform_admin', 'engineer', 'tenant_admin'].includes(me.principal.role);
}
