// A run watched live over server-sent events (`GET …/runs/{run}/events`, `event: run`) until it ends, then its
// counts and downloads.
import { h, badge } from '../ui.js';
import { tenantPath, seg } from './common.js';
import { isTerminal } from './wizard-model.js';
import { recordsView } from './preview-view.js';

const RESULTS_PEEK_BYTES = 64 << 10;

/** The live view of one run; returns `{element, close()}`. `onEnd(run)` is called once at its final state. */
export function runWatch(api, tenant, runId, onEnd) {
  const stateLine = h('p', { class: 'dz-run-state', 'aria-live': 'polite' }, 'Waiting for the run to start…');
  const bar = h('span', { class: 'w0' });
  const progress = h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100',
    'aria-label': 'Run progress' }, bar);
  const counts = h('dl', { class: 'props dz-run-counts' });
  const outcome = h('div', { class: 'dz-run-outcome' });
  let ended = false;
  const source = new EventSource(api.url(tenantPath(tenant, `/runs/${seg(runId)}/events`)), { withCredentials: true });

  function show(run) {
    stateLine.replaceChildren('Run ', h('a', { href: `#/t/${seg(tenant)}/runs/${seg(run.id)}` }, run.id.slice(0, 8)),
      ' is ', badge(run.state));
    stateLine.dataset.state = run.state;
    const p = run.progress;
    const s = run.summary || {};
    const read = p?.read ?? s.records_read ?? 0;
    const written = p?.written ?? s.records_written ?? 0;
    const failed = p?.failed ?? s.records_failed ?? 0;
    let fraction = typeof p?.fraction === 'number' ? p.fraction : null;
    if (isTerminal(run.state)) fraction = 1;
    bar.className = '';
    bar.style.width = `${Math.round((fraction ?? 0) * 100)}%`;
    progress.setAttribute('aria-valuenow', String(Math.round((fraction ?? 0) * 100)));
    counts.replaceChildren(
      h('dt', {}, 'Read'), h('dd', { 'data-count': 'read' }, String(read)),
      h('dt', {}, 'Written'), h('dd', { 'data-count': 'written' }, String(written)),
      h('dt', {}, 'Failed'), h('dd', { 'data-count': 'failed' }, String(failed)));
    if (isTerminal(run.state) && !ended) {
      ended = true;
      source.close();
      outcome.replaceChildren(...results(api, tenant, run));
      if (run.summary?.outputs?.results) {
        firstResults(api, tenant, run).then((list) => {
          if (list.length) outcome.append(recordsView(list, { title: 'First results', name: 'results', mode: 'json' }));
        }).catch(() => { /* the download link stays */ });
      }
      onEnd?.(run);
    }
  }

  source.addEventListener('run', (ev) => {
    try { show(JSON.parse(ev.data)); } catch { /* a malformed event is skipped */ }
  });
  // The stream ends after the final state, or breaks: no reconnecting, the run is read instead, backing off from
  // 1 s to 15 s while nothing changes, until it ends or the view is closed.
  let timer = null;
  let closed = false;
  let delay = 1000;
  let last = '';
  async function poll() {
    if (ended || closed) return;
    try {
      const run = await api.get(tenantPath(tenant, `/runs/${seg(runId)}`));
      const seen = JSON.stringify(run);
      delay = seen !== last ? 1000 : Math.min(delay * 2, 15000);
      last = seen;
      show(run);
    } catch { delay = Math.min(delay * 2, 15000); }
    if (!ended && !closed) timer = setTimeout(poll, delay);
  }
  source.addEventListener('error', () => {
    source.close();
    if (!ended && !closed && timer === null) poll();
  });

  const element = h('section', { class: 'dz-run-watch', 'aria-label': 'First run' }, stateLine, progress, counts, outcome);
  return { element, close: () => { closed = true; source.close(); clearTimeout(timer); } };
}

function results(api, tenant, run) {
  const s = run.summary || {};
  const out = [];
  if (s.failure_reason) out.push(h('p', { class: 'error-box' }, `Failure: ${s.failure_reason}`));
  const links = [];
  const o = s.outputs || {};
  const route = (kind, query) => api.url(tenantPath(tenant, `/runs/${seg(run.id)}/${kind}`), query);
  if (o.results) links.push(h('a', { class: 'btn', href: route('results'), download: `${run.id}-results.ndjson` },
    'Download results (NDJSON)'));
  if (o.errors) {
    links.push(h('a', { class: 'btn', href: route('errors', { format: 'csv' }), download: `${run.id}-errors.csv` },
      'Download errors (CSV)'));
  }
  links.push(h('a', { class: 'btn', href: `#/t/${seg(tenant)}/runs/${seg(run.id)}` }, 'Open the run'));
  out.push(h('p', { class: run.state === 'failed' ? 'sf-error' : 'dz-ok', 'data-final': run.state },
    `The run ended ${run.state.replace(/_/g, ' ')}: ${s.records_written ?? 0} written, ${s.records_failed ?? 0} failed.`),
  h('div', { class: 'dz-actions' }, ...links));
  return out;
}

/** The first results of a run (at most 10, from the first 64 KiB of its NDJSON download). */
async function firstResults(api, tenant, run) {
  const response = await api.get(tenantPath(tenant, `/runs/${seg(run.id)}/results`), { raw: true });
  const reader = response.body.getReader();
  const chunks = [];
  let size = 0;
  while (size < RESULTS_PEEK_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  reader.cancel().catch(() => {});
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.length; }
  const lines = new TextDecoder().decode(bytes.subarray(0, RESULTS_PEEK_BYTES)).split('\n');
  if (size >= RESULTS_PEEK_BYTES) lines.pop();
  return lines.filter((l) => l.trim()).slice(0, 10).flatMap((l) => {
    try { return [JSON.parse(l)]; } catch { return []; }
  });
}
