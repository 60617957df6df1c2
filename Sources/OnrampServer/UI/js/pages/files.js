// The tenant's file area: list (with the pipelines that have read each file), upload (the raw bytes), download, delete.
import { h, table, field, pageTitle, replace, errorBox, formatTime, formatBytes, busy, confirmDialog } from '../ui.js';
import { tenantPath } from '../api.js';
import { canChange, t } from './shared.js';

function filePath(tenant, path) {
  return tenantPath(tenant, '/files/' + path.split('/').map(encodeURIComponent).join('/'));
}

export async function render(root, params, ctx) {
  const tenant = params.tenant;
  const api = ctx.api;
  const changer = canChange(ctx.me);
  const listBox = h('div', { 'aria-live': 'polite' });
  root.append(pageTitle('Files'),
    h('p', { class: 'muted' }, 'Files your pipelines read (exports, lookups). Pipelines name them by their path here.'));

  if (changer) {
    const chooser = h('input', { type: 'file', name: 'file', required: true });
    const target = h('input', { type: 'text', name: 'path', placeholder: 'orders.csv', spellcheck: false });
    chooser.addEventListener('change', () => {
      if (chooser.files[0] && !target.value) target.value = chooser.files[0].name;
    });
    const message = h('div', { 'aria-live': 'assertive' });
    const upload = h('button', { type: 'submit', class: 'btn primary' }, 'Upload');
    root.append(h('form', { class: 'card row', onsubmit: async (e) => {
      e.preventDefault();
      replace(message);
      const file = chooser.files[0];
      const path = (target.value || (file && file.name) || '').trim();
      if (!file) { replace(message, errorBox({ message: 'Choose a file first.' })); return; }
      const done = await busy(upload, () => api.put(filePath(tenant, path), file, { contentType: 'application/octet-stream' }),
        `Uploaded ${path}.`);
      if (done) { chooser.value = ''; target.value = ''; await load(); }
    } }, field('File', chooser), field('Save as', target, 'A relative path; folders are created.'),
    h('div', { class: 'field' }, upload), message));
  }
  root.append(listBox);

  async function load() {
    try {
      const answer = await api.get(tenantPath(tenant, '/files'));
      replace(listBox, table([
        { label: 'Path', value: (f) => h('a', { href: api.url(filePath(tenant, f.path)), download: f.path.split('/').pop() }, f.path) },
        { label: 'Size', class: 'num', value: (f) => formatBytes(f.size) },
        { label: 'Modified', value: (f) => formatTime(f.modified_at) },
        { label: 'Read by', value: (f) => (f.read_by || []).length ? h('ul', { class: 'plain' }, f.read_by.map((r) =>
          h('li', {}, h('a', { href: `#${t(tenant)}/pipelines/${encodeURIComponent(r.pipeline_id)}` },
            r.pipeline), r.changed_since ? h('span', { class: 'muted' }, ' (changed since: read again next run)') : null)))
          : h('span', { class: 'muted' }, 'not read incrementally yet') },
        { label: 'Actions', value: (f) => changer ? h('button', { type: 'button', class: 'btn small', onclick: async (e) => {
          if (!await confirmDialog(`Delete ${f.path}? Pipelines that read it will fail.`, { confirm: 'Delete', danger: true })) return;
          const done = await busy(e.target.closest('button'), () => api.del(filePath(tenant, f.path)), `Deleted ${f.path}.`);
          if (done !== undefined) await load();
        } }, 'Delete') : '' },
      ], answer.files || [], { empty: 'No files yet.', caption: 'Files' }),
      answer.truncated ? h('p', { class: 'notice' }, 'Only the first files are listed.') : null);
    } catch (err) { replace(listBox, errorBox(err)); }
  }
  await load();
}
