// One run: state, attempts, counts per stage, reconciliation, live progress (server-sent events, else polling),
// downloads, and its failed records grouped by code.
import { h, badge, formatTime, pageTitle, replace, table, confirmDialog, busy, toast } from '../ui.js';
import { tenantPath } from '../api.js';
import { FINISHED, t, canChange, pipelineLink } from './shared.js';

export async function render(root, params, ctx) {
  const tenant = params.tenant;
  const api = ctx.api;
  const path = tenantPath(tenant, '/runs/' + encodeURIComponent(params.run));
  let run = await api.get(path);
  const view = h('div');
  const live = h('div', { class: 'live', 'aria-live': 'polite' });
  root.append(view);
  let source = null;
  let timer = null;
  let closed = false;

  function draw() {
    const s = run.summary || {};
    const stages = s.failed_by_stage || {};
    const downloads = downloadLinks(api, path, run);
    const cancel = canChange(ctx.me) && !FINISHED.has(run.state)
      ? h('button', { type: 'button', class: 'btn', onclick: async (e) => {
        if (!await confirmDialog('Cancel this run? A running run stops at its next batch.', { confirm: 'Cancel run', danger: true })) return;
        const done = await busy(e.target.closest('button'), () => api.post(path + '/cancel', {}), 'Cancel requested.');
        if (done) update(done);
      } }, 'Cancel run') : null;
    replace(view,
      pageTitle(`Run of ${s.pipeline || run.pipeline_id}`, h('div', { class: 'actions' }, badge(run.state), cancel)),
      live,
      h('div', { class: 'grid' },
        stat('Read', s.records_read), stat('Written', s.records_written, 'ok'),
        stat('Failed', s.records_failed, s.records_failed ? 'bad' : ''), stat('Warnings', s.warnings)),
      h('div', { class: 'card' }, h('dl', { class: 'props' },
        h('dt', {}, 'Pipeline'), h('dd', {}, pipelineLink(tenant, run.pipeline_id, s.pipeline), ` version ${run.pipeline_version}`),
        h('dt', {}, 'Kind'), h('dd', {}, run.kind === 'replay' ? 'replay of failed records' : run.trigger,
          run.full_resync ? ' (full re-sync)' : '',
          run.origin ? h('span', {}, ' from ', h('a', { href: `#${t(tenant)}/runs/${encodeURIComponent(run.origin)}` }, 'this run')) : null),
        h('dt', {}, 'Created'), h('dd', {}, formatTime(run.created_at, { seconds: true })),
        h('dt', {}, 'Started'), h('dd', {}, formatTime(run.started_at, { seconds: true }) || '—'),
        h('dt', {}, 'Finished'), h('dd', {}, formatTime(run.finished_at, { seconds: true }) || '—'),
        h('dt', {}, 'Took'), h('dd', {}, s.seconds !== undefined && FINISHED.has(run.state) ? `${Number(s.seconds).toFixed(1)} s` : '—'),
        h('dt', {}, 'Attempts'), h('dd', {}, String(run.attempts ?? 0)),
        s.failure_reason ? [h('dt', {}, 'Failure'), h('dd', { class: 'bad' }, s.failure_reason)] : null)),
      run.webhooks ? h('section', {}, h('h2', {}, 'Webhooks'), webhooks(run.webhooks)) : null,
      (run.attempt_errors || []).length ? h('section', {}, h('h2', {}, 'Attempts'),
        h('ol', {}, run.attempt_errors.map((e) => h('li', {}, e)))) : null,
      h('section', {}, h('h2', {}, 'Failed records by stage'),
        table([{ label: 'Stage', value: (r) => r[0] }, { label: 'Failed', class: 'num', value: (r) => String(r[1] ?? 0) }],
          [['extract', stages.extract], ['transform', stages.transform], ['load', stages.load]])),
      s.reconciliation ? h('section', {}, h('h2', {}, 'Reconciliation'), reconciliation(s.reconciliation)) : null,
      h('section', {}, h('h2', {}, 'Downloads'), downloads.length ? h('div', { class: 'actions left' }, downloads)
        : h('p', { class: 'muted' }, FINISHED.has(run.state) ? 'This run produced no files.' : 'Available when the run ends.')),
      groupsBox);
    drawLive();
  }

  function drawLive() {
    if (FINISHED.has(run.state)) { replace(live); return; }
    const p = run.progress || {};
    const bar = h('span', {});
    bar.style.width = `${Math.round(Math.min(1, p.fraction || 0) * 100)}%`;
    replace(live, h('div', { class: 'card' },
      h('p', {}, run.state === 'queued' ? 'Waiting for a worker…'
        : `Running: ${p.read ?? 0} read, ${p.written ?? 0} written, ${p.failed ?? 0} failed`
          + (p.seconds_left ? `, about ${Math.ceil(p.seconds_left)} s left` : '')),
      p.fraction !== undefined && p.fraction !== null
        ? h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100',
          'aria-valuenow': String(Math.round((p.fraction || 0) * 100)) }, bar) : null));
  }

  const groupsBox = h('section', { 'aria-labelledby': 'run-errors' });
  async function loadGroups() {
    if (!(run.summary?.records_failed > 0)) { replace(groupsBox); return; }
    const groups = (await api.get(tenantPath(tenant, '/error-groups'), { query: { run_id: run.id } })).groups || [];
    replace(groupsBox, h('h2', { id: 'run-errors' }, 'Failed records'),
      table([
        { label: 'Error', value: (g) => h('a', { href: `#${t(tenant)}/errors?run_id=${encodeURIComponent(run.id)}&code=${encodeURIComponent(g.code)}` }, g.code) },
        { label: 'Field', value: (g) => g.field || '' }, { label: 'Step', value: (g) => g.step || '' },
        { label: 'Records', class: 'num', value: (g) => String(g.count) },
      ], groups, { empty: 'None of this run\'s failed records are in the error queue.' }),
      h('p', {}, h('a', { href: `#${t(tenant)}/errors?run_id=${encodeURIComponent(run.id)}` }, 'Open these in the error queue')));
  }

  function update(next) {
    const ended = !FINISHED.has(run.state) && FINISHED.has(next.state);
    run = next;
    draw();
    if (ended) { stop(); toast(`The run ended: ${run.state.replace(/_/g, ' ')}.`, run.state === 'succeeded' ? 'success' : 'info'); loadGroups(); }
  }

  // Polling backs off while nothing changes (1.5 s doubling to 15 s), and is quick again after a change.
  let delay = 1500;
  function poll() {
    if (closed || FINISHED.has(run.state)) return;
    timer = setTimeout(async () => {
      try {
        const next = await api.get(path);
        const changed = JSON.stringify(next) !== JSON.stringify(run);
        delay = changed ? 1500 : Math.min(delay * 2, 15000);
        update(next);
      } catch { delay = Math.min(delay * 2, 15000); }
      poll();
    }, delay);
  }

  function follow() {
    if (FINISHED.has(run.state)) return;
    if (typeof EventSource === 'undefined') { poll(); return; }
    source = new EventSource(api.url(path + '/events'));
    source.addEventListener('run', (e) => {
      try { update(JSON.parse(e.data)); } catch { /* a malformed event: keep the last state */ }
    });
    source.addEventListener('error', () => {
      // The route is missing (404) or the stream broke: fall back to polling until the run ends.
      if (source) source.close();
      source = null;
      if (!closed && !FINISHED.has(run.state)) poll();
    });
  }

  function stop() {
    if (source) { source.close(); source = null; }
    clearTimeout(timer);
  }

  draw();
  await loadGroups();
  follow();
  return () => { closed = true; stop(); };
}

function stat(label, n, tone = '') {
  return h('div', { class: ['stat', n ? tone : ''] }, h('span', { class: 'n' }, String(n ?? 0)), label);
}

/** The run's webhooks: delivered, retrying (when next and why) or given up (why). */
function webhooks(w) {
  const said = { pending: 'Retrying', delivered: 'Delivered', abandoned: 'Given up' }[w.state] || w.state;
  return h('div', { class: 'card' }, h('dl', { class: 'props' },
    h('dt', {}, 'State'), h('dd', { class: w.state === 'delivered' ? 'ok' : w.state === 'abandoned' ? 'bad' : '' },
      `${said} after ${w.attempts} attempt${w.attempts === 1 ? '' : 's'}`),
    w.sent.length ? [h('dt', {}, 'Sent to'), h('dd', {}, w.sent.join(', '))] : null,
    w.next_attempt_at ? [h('dt', {}, 'Next attempt'), h('dd', {}, formatTime(w.next_attempt_at, { seconds: true }))] : null,
    w.last_error ? [h('dt', {}, 'Last error'), h('dd', { class: 'bad' }, w.last_error)] : null));
}

function reconciliation(rec) {
  const flat = Object.entries(rec).filter(([, v]) => typeof v !== 'object' || v === null);
  const nested = Object.entries(rec).filter(([, v]) => v && typeof v === 'object');
  return h('div', { class: 'card' }, h('dl', { class: 'props' },
    flat.map(([k, v]) => [h('dt', {}, k.replace(/_/g, ' ')), h('dd', { class: 'num' }, String(v))])),
  nested.map(([k, v]) => h('details', {}, h('summary', {}, k.replace(/_/g, ' ')), h('pre', {}, JSON.stringify(v, null, 2)))));
}

function downloadLinks(api, path, run) {
  if (!FINISHED.has(run.state)) return [];
  const outputs = run.summary?.outputs || {};
  const id = run.id.slice(0, 8);
  const links = [];
  const a = (href, text, name) => h('a', { class: 'btn', href, download: name }, text);
  if (outputs.results) {
    links.push(a(api.url(path + '/results', { format: 'ndjson' }), 'Results (NDJSON)', `results-${id}.ndjson`));
    links.push(a(api.url(path + '/results', { format: 'csv' }), 'Results (CSV)', `results-${id}.csv`));
  }
  if (outputs.errors) links.push(a(api.url(path + '/errors', { format: 'csv' }), 'Errors (CSV)', `errors-${id}.csv`));
  if (outputs.reconciliation) links.push(a(api.url(path + '/reconciliation'), 'Reconciliation (CSV)', `reconciliation-${id}.csv`));
  links.push(a(api.url(path + '/logs'), 'Log', `log-${id}.txt`));
  return links;
}
