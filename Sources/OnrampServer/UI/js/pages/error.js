// One failed record: its error and value; edit the value (JSON), replay it, ignore or reopen it.
import { h, pageTitle, badge, formatTime, field, replace, errorBox, busy, toast } from '../ui.js';
import { tenantPath } from '../api.js';
import { t, canChange, runLink } from './shared.js';
import { memberText, pretty, compact } from '../json-text.js';

export async function render(root, params, ctx) {
  const tenant = params.tenant;
  const api = ctx.api;
  const path = tenantPath(tenant, '/errors/' + encodeURIComponent(params.error));
  // The value as the server wrote it: numbers keep every digit through an edit.
  const raw = await (await api.get(path, { raw: true })).text();
  let entry = JSON.parse(raw);
  let valueText = memberText(raw, 'value') ?? 'null';
  const changer = canChange(ctx.me);
  const putValue = (text) => api.put(path + '/value', `{"value": ${text}}`, { contentType: 'application/json' });

  function draw() {
    const editor = h('textarea', { name: 'value', rows: 14, spellcheck: false, readonly: !changer || entry.state !== 'open' });
    editor.value = pretty(valueText);
    const message = h('div', { 'aria-live': 'assertive' });
    const parse = () => {
      try { editor.removeAttribute('aria-invalid'); return { ok: true, text: compact(editor.value) }; }
      catch (e) { editor.setAttribute('aria-invalid', 'true'); replace(message, errorBox({ message: 'Not JSON: ' + e.message })); return { ok: false }; }
    };
    const save = h('button', { type: 'button', class: 'btn', onclick: async (e) => {
      replace(message);
      const v = parse();
      if (!v.ok) return;
      const done = await busy(e.target.closest('button'), () => putValue(v.text), 'Value saved.');
      if (done) { entry = { ...done }; valueText = v.text; draw(); }
    } }, 'Save value');
    const replay = h('button', { type: 'button', class: 'btn primary', onclick: async (e) => {
      replace(message);
      const v = parse();
      if (!v.ok) return;
      const button = e.currentTarget;
      if (compact(v.text) !== compact(valueText)) {
        const done = await busy(button, () => putValue(v.text));
        if (!done) return;
      }
      const run = await busy(button, () => api.post(tenantPath(tenant, '/errors/replay'), { ids: [entry.id] }));
      if (run) { toast('Replay queued.', 'success'); ctx.navigate(`${t(tenant)}/runs/${encodeURIComponent(run.id)}`); }
    } }, 'Save and replay');
    const toggle = entry.state === 'resolved' ? null : h('button', { type: 'button', class: 'btn', onclick: async (e) => {
      const to = entry.state === 'open' ? 'ignored' : 'open';
      const done = await busy(e.target.closest('button'), () => api.post(path + '/state', { state: to }), to === 'ignored' ? 'Ignored.' : 'Reopened.');
      if (done) { entry = { ...done }; draw(); }
    } }, entry.state === 'open' ? 'Ignore' : 'Reopen');
    replace(root,
      pageTitle(`Failed record: ${entry.code}`, badge(entry.state)),
      h('div', { class: 'card' }, h('dl', { class: 'props' },
        h('dt', {}, 'Message'), h('dd', {}, entry.message),
        h('dt', {}, 'Field'), h('dd', {}, entry.field || '—'),
        h('dt', {}, 'Stage'), h('dd', {}, entry.stage + (entry.step ? ` (${entry.step})` : '')),
        h('dt', {}, 'Where'), h('dd', {}, entry.file ? `${entry.file}${entry.line ? ', line ' + entry.line : ''}` : (entry.key || '—')),
        h('dt', {}, 'Run'), h('dd', {}, runLink(tenant, { id: entry.run_id, created_at: entry.created_at })),
        entry.replay_run_id ? [h('dt', {}, 'Replayed by'), h('dd', {}, runLink(tenant, { id: entry.replay_run_id }, 'the replay run'))] : null,
        entry.edited_at ? [h('dt', {}, 'Edited'), h('dd', {}, `${formatTime(entry.edited_at)} by ${entry.edited_by || '?'}`)] : null)),
      h('section', { class: 'card' }, field(entry.stage === 'load' ? 'The record as sent (JSON)' : 'The record (JSON)', editor,
        entry.state === 'open' ? 'Fix the value, then save and replay it through the pipeline\'s current version.'
          : 'Only an open record can be edited.'), message,
      changer ? h('div', { class: 'actions left' }, entry.state === 'open' ? [replay, save] : null, toggle) : null),
      h('p', {}, h('a', { href: `#${t(tenant)}/errors?run_id=${encodeURIComponent(entry.run_id)}` }, 'Back to the error queue')));
  }
  draw();
}
