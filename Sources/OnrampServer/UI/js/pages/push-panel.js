// A push pipeline's page parts: its edge agents (status, run now, the pipeline given to them, enrol, remove), its push
// keys (create, shown once; revoke) and the batches pushed to it (pending or processed, by which run).
import { h, table, badge, formatTime, relativeTime, formatBytes, confirmDialog, openDialog, toast, replace, busy, field,
  errorBox } from '../ui.js';
import { tenantPath } from '../api.js';
import { runLink } from './shared.js';

/** An agent heard from within this many seconds is online (it sends a heartbeat every 30 s by default). */
const ONLINE_SECONDS = 120;

export async function pushSections(root, ctx, tenant, pipeline, changer) {
  const api = ctx.api;
  const path = (rest) => tenantPath(tenant, `/pipelines/${encodeURIComponent(pipeline.id)}${rest}`);
  const agentsBox = h('section', { 'aria-labelledby': 'agents' });
  const keysBox = h('section', { 'aria-labelledby': 'push-keys' });
  const batchesBox = h('section', { 'aria-labelledby': 'batches' });
  root.append(agentsBox, keysBox, batchesBox);

  /** A secret shown once, with a copy button and what to do with it. */
  function once(box, title, secret, ...after) {
    const copy = h('button', { type: 'button', class: 'btn small', onclick: async () => {
      try { await navigator.clipboard.writeText(secret); copy.textContent = 'Copied'; } catch { copy.textContent = 'Select and copy it'; }
    } }, 'Copy');
    replace(box, h('div', { class: 'notice', role: 'alert' }, h('strong', {}, title), ' copy it now, it is not shown again.',
      h('p', { class: 'secret-once', tabindex: '0' }, secret), copy, ...after));
  }

  /** A form that makes one item by name (`create(name)`), then `done(item)`; null for a role that cannot. */
  function newItemForm(label, inputName, placeholder, buttonText, create, done) {
    if (!changer) return null;
    const name = h('input', { type: 'text', name: inputName, required: true, placeholder });
    const add = h('button', { type: 'submit', class: 'btn' }, buttonText);
    return h('form', { class: 'row', onsubmit: async (e) => {
      e.preventDefault();
      const item = await busy(add, () => create(name.value.trim()));
      if (item) await done(item);
    } }, field(label, name), h('div', { class: 'field' }, add));
  }

  async function loadAgents() {
    const agents = (await api.get(path('/agents'), { query: { limit: 200 } })).agents || [];
    const shown = h('div', { 'aria-live': 'polite', 'data-once': '' });
    const form = newItemForm('New agent', 'agent-name', 'warehouse server', 'Add agent',
      (name) => api.post(path('/agents'), { name }), async (made) => {
        toast('Agent made.', 'success');
        await loadAgents();
        once(agentsBox.querySelector('[data-once]'), `The enrolment token of "${made.name}" (valid 24 hours, used once):`,
          made.enrolment_token, h('p', {}, 'On the customer\'s machine: ',
            h('code', {}, `onramp agent enrol --server ${location.origin} --token ${made.enrolment_token} --spool /var/lib/onramp-agent`)));
      });
    replace(agentsBox, h('div', { class: 'page-head' }, h('h2', { id: 'agents' }, 'Edge agents')),
      h('p', { class: 'muted' }, 'Agents on the customer\'s machines run the source there and push what it reads here.'),
      form, shown,
      table([
        { label: 'Agent', value: (a) => h('span', {}, a.name, h('br'), h('small', { class: 'muted mono' }, a.id)) },
        { label: 'State', value: (a) => agentState(a) },
        { label: 'Last seen', value: (a) => a.last_seen_at ? h('span', { title: formatTime(a.last_seen_at, { seconds: true }) },
          relativeTime(a.last_seen_at)) : 'never' },
        { label: 'Pipeline', value: (a) => agentPipeline(a) },
        { label: 'Spool', value: (a) => a.status?.spool
          ? `${a.status.spool.segments} segments, ${formatBytes(a.status.spool.bytes)}` : '' },
        { label: 'Last run', value: (a) => lastRun(a.status?.last_run) },
        { label: 'Problems', value: (a) => problems(a.status) },
        { label: 'Actions', value: (a) => changer ? agentActions(a) : '' },
      ], agents, { empty: 'No agents: batches come from push keys only.', caption: 'Edge agents' }));
  }

  function agentActions(a) {
    return h('div', { class: 'actions left' },
      a.enrolled ? h('button', { type: 'button', class: 'btn small', onclick: async (e) => {
        const done = await busy(e.target.closest('button'), () => api.post(path(`/agents/${encodeURIComponent(a.id)}/run`)),
          `Run asked of ${a.name}: it starts at its next heartbeat.`);
        if (done) await loadAgents();
      } }, 'Run now') : null,
      h('button', { type: 'button', class: 'btn small', onclick: () => editConfig(a) }, 'Pipeline…'),
      h('button', { type: 'button', class: 'btn small', onclick: async (e) => {
        if (!await confirmDialog(`Remove the agent "${a.name}"? Its key is revoked at once; what it has not pushed stays on its machine.`,
          { confirm: 'Remove', danger: true })) return;
        const done = await busy(e.target.closest('button'), () => api.del(path(`/agents/${encodeURIComponent(a.id)}`)), 'Agent removed.');
        if (done !== undefined) await loadAgents();
      } }, 'Remove'));
  }

  /** The pipeline an agent run with --remote-pipeline gets: its JSON and the seconds between runs. */
  async function editConfig(a) {
    let current = null;
    try { current = await api.get(path(`/agents/${encodeURIComponent(a.id)}/config`)); } catch (e) { if (e.status !== 404) throw e; }
    const starter = { version: 1, name: `${pipeline.name}-site`, source: { connector: 'csv', config: { path: 'exports/*.csv' },
      incremental: { mode: 'new_files' } }, destination: { connector: 'onramp_push' } };
    const text = h('textarea', { name: 'agent-pipeline', rows: '16', spellcheck: 'false' },
      JSON.stringify(current?.pipeline || starter, null, 2));
    const every = h('input', { type: 'number', name: 'every-seconds', min: '1', max: '86400', value: String(current?.every_seconds ?? 300) });
    const problem = h('div', { 'aria-live': 'polite' });
    await openDialog(`Pipeline of ${a.name}` + (current ? ` (version ${current.version})` : ''), (close) => {
      const save = h('button', { type: 'submit', class: 'btn primary' }, 'Give it to the agent');
      return h('form', { onsubmit: async (e) => {
        e.preventDefault();
        let document;
        try { document = JSON.parse(text.value); } catch (err) { replace(problem, errorBox(new Error('not JSON: ' + err.message))); return; }
        save.disabled = true;
        try {
          const given = await api.put(path(`/agents/${encodeURIComponent(a.id)}/config`),
            { pipeline: document, every_seconds: Number(every.value) });
          toast(`Version ${given.version} given to ${a.name}.`, 'success');
          close('saved');
          await loadAgents();
        } catch (err) {
          replace(problem, errorBox(err));
        } finally {
          save.disabled = false;
        }
      } },
      h('p', { class: 'muted' }, 'An agent started with --remote-pipeline runs this at its next heartbeat, within what its '
        + 'operator allows (--files, --expose-env, --egress-allow). The destination is onramp_push with no settings.'),
      field('Pipeline (JSON)', text), field('Seconds between runs', every), problem,
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', onclick: () => close('') }, 'Cancel'), save));
    });
  }

  async function loadKeys() {
    const keys = (await api.get(path('/push-keys'), { query: { limit: 200 } })).push_keys || [];
    const shown = h('div', { 'aria-live': 'polite', 'data-once': '' });
    const form = newItemForm('New push key', 'push-key-name', 'ERP export job', 'Create push key',
      (name) => api.post(path('/push-keys'), { name }), async (key) => {
        toast('Push key created.', 'success');
        await loadKeys();
        once(keysBox.querySelector('[data-once]'), `The push key "${key.name}":`, key.key);
      });
    replace(keysBox, h('h2', { id: 'push-keys' }, 'Push keys'), form, shown, table([
      { label: 'Name', value: (k) => k.name },
      { label: 'Created', value: (k) => formatTime(k.created_at) },
      { label: 'State', value: (k) => k.revoked_at ? h('span', {}, badge('revoked'), ' ', formatTime(k.revoked_at)) : badge('active') },
      { label: 'Actions', value: (k) => (!changer || k.revoked_at) ? '' : h('button', { type: 'button', class: 'btn small', onclick: async (e) => {
        if (!await confirmDialog(`Revoke the push key "${k.name}"? Whatever pushes with it is refused at once.`,
          { confirm: 'Revoke', danger: true })) return;
        const done = await busy(e.target.closest('button'), () => api.del(path(`/push-keys/${encodeURIComponent(k.id)}`)), 'Push key revoked.');
        if (done !== undefined) await loadKeys();
      } }, 'Revoke') },
    ], keys, { empty: 'No push keys yet.', caption: 'Push keys' }));
  }

  async function loadBatches() {
    const answer = await api.get(path('/batches'), { query: { limit: 20 } });
    const batches = answer.batches || [];
    replace(batchesBox, h('h2', { id: 'batches' }, 'Pushed batches'),
      h('p', { class: 'muted' }, `Waiting to be read: ${formatBytes(answer.pending_bytes || 0)} for this tenant. The newest 20:`),
      table([
        { label: 'Batch', value: (b) => h('span', { class: 'mono' }, b.batch_id) },
        { label: 'Sequence', value: (b) => String(b.sequence) },
        { label: 'State', value: (b) => badge(b.state === 'processed' ? 'succeeded' : 'queued', b.state) },
        { label: 'Size', value: (b) => formatBytes(b.bytes) + (b.gzip ? ' (gzip)' : '') },
        { label: 'Received', value: (b) => formatTime(b.received_at, { seconds: true }) },
        { label: 'Run', value: (b) => b.run_id ? runLink(tenant, { id: b.run_id, created_at: b.processed_at }) : '' },
      ], batches, { empty: 'Nothing pushed yet.', caption: 'Pushed batches' }));
  }

  await Promise.all([loadAgents(), loadKeys(), loadBatches()]);
}

function agentState(a) {
  if (!a.enrolled) {
    const expired = a.enrolment_expires_at && new Date(a.enrolment_expires_at) < new Date();
    return h('span', {}, badge(expired ? 'failed' : 'queued', expired ? 'token expired' : 'not enrolled'));
  }
  if (a.status?.stopped_by) return badge('failed', 'stopped');
  const age = a.last_seen_at ? (Date.now() - new Date(a.last_seen_at).getTime()) / 1000 : Infinity;
  const online = age < ONLINE_SECONDS;
  return h('span', {}, badge(online ? 'succeeded' : 'failed', online ? 'online' : 'offline'),
    a.run_requested ? h('span', {}, ' ', badge('running', 'run asked')) : null,
    a.status?.version ? h('small', { class: 'muted' }, ` v${a.status.version}`) : null);
}

function agentPipeline(a) {
  const p = a.status?.pipeline;
  const given = a.config_version ? `given: v${a.config_version}` : 'none given';
  if (p === 'local file') {
    return h('span', {}, 'its own file', a.status.pipeline_name ? ` (${a.status.pipeline_name})` : '', h('br'),
      h('small', { class: 'muted' }, a.config_version ? `${given}, not run (the agent was not started with --remote-pipeline)` : ''));
  }
  if (p && typeof p === 'object') {
    const lag = a.config_version > p.version ? h('span', {}, ' ', badge('warning', `runs v${p.version}`)) : null;
    return h('span', {}, `v${p.version}, every ${p.every_seconds} s`, lag, h('br'), h('small', { class: 'muted' }, given));
  }
  return h('span', { class: 'muted' }, given);
}

function lastRun(r) {
  if (!r) return '';
  return h('span', {}, badge(r.status), ` ${r.read} read, ${r.spooled} spooled` + (r.failed ? `, ${r.failed} failed` : ''),
    r.reason ? h('br') : null, r.reason ? h('small', { class: 'muted' }, r.reason) : null);
}

function problems(s) {
  if (!s) return '';
  const list = [s.stopped_by && `stopped: ${s.stopped_by}`, s.config_error && `pipeline refused: ${s.config_error}`,
    s.last_error && `push: ${s.last_error}`,
    Array.isArray(s.corrupt_segments) && s.corrupt_segments.length ? `damaged segments: ${s.corrupt_segments.join(', ')}` : null]
    .filter(Boolean);
  return list.length ? h('ul', { class: 'problems' }, list.map((p) => h('li', {}, p))) : h('span', { class: 'muted' }, 'none');
}
