// A pipeline's versions: the list, a line diff between any two (pretty JSON, keys sorted), open one in the
// designer, run one (`POST …/runs {version}`), restore one as the newest version.
import { h, toast, errorBox, formatTime, confirmDialog } from '../ui.js';
import { tenantPath, seg, go } from './common.js';
import { prettyJSON, lineDiff, diffStats } from './diff.js';

export async function render(root, params, ctx) {
  const { api } = ctx;
  const { tenant, pipeline } = params;
  const base = tenantPath(tenant, `/pipelines/${seg(pipeline)}`);
  const [latest, list] = await Promise.all([api.get(base), api.get(`${base}/versions`)]);
  const versions = list.versions || [];
  const documents = new Map();
  const load = async (n) => {
    if (!documents.has(n)) documents.set(n, (await api.get(`${base}/versions/${seg(n)}`)).document);
    return documents.get(n);
  };
  const options = () => versions.map((v) => h('option', { value: String(v.version) },
    `version ${v.version} (${formatTime(v.created_at)})`));
  const left = h('select', { id: 'dz-diff-a' }, ...options());
  const right = h('select', { id: 'dz-diff-b' }, ...options());
  left.value = String(versions[1]?.version ?? versions[0]?.version ?? '');
  right.value = String(versions[0]?.version ?? '');
  const diffHolder = h('div', { class: 'dz-diff-holder', 'aria-live': 'polite' });
  const status = h('div', { class: 'dz-status', role: 'status', 'aria-live': 'polite' });

  async function showDiff() {
    diffHolder.replaceChildren(h('p', {}, 'Comparing…'));
    try {
      const [a, b] = await Promise.all([load(Number(left.value)), load(Number(right.value))]);
      diffHolder.replaceChildren(diffView(lineDiff(prettyJSON(a), prettyJSON(b)), left.value, right.value));
    } catch (e) {
      diffHolder.replaceChildren(errorBox(e));
    }
  }

  async function restore(v) {
    const question = `Save version ${v.version}'s document as the newest version of ${latest.name}?`;
    if (!(await confirmDialog(question))) return null;
    try {
      const saved = await api.post(tenantPath(tenant, '/pipelines'), await load(v.version));
      toast(`Version ${v.version} restored as version ${saved.version}`, 'success');
      return saved;
    } catch (e) {
      status.replaceChildren(errorBox(e));
      return null;
    }
  }

  async function runVersion(v) {
    try {
      const run = await api.post(`${base}/runs`, { version: v.version });
      toast(`Run of version ${v.version} queued`, 'success');
      go(ctx, `/t/${seg(tenant)}/runs/${seg(run.id)}`);
    } catch (e) {
      status.replaceChildren(errorBox(e));
    }
  }

  const isLatest = (v) => v.version === latest.version;
  const rows = versions.map((v) => h('tr', { 'data-version': String(v.version) },
    h('td', { class: 'num' }, String(v.version)), h('td', {}, formatTime(v.created_at)),
    h('td', {}, h('div', { class: 'dz-actions' },
      h('a', { class: 'btn small', href: `#/t/${seg(tenant)}/pipelines/${seg(latest.id)}/design?version=${v.version}` },
        'Open in designer'),
      h('button', { type: 'button', class: isLatest(v) ? 'btn small primary' : 'btn small',
        'aria-label': `Run version ${v.version}`, onclick: () => runVersion(v) }, 'Run this version'),
      isLatest(v) ? '' : h('button', { type: 'button', class: 'btn small', onclick: async () => {
        const saved = await restore(v);
        if (saved) go(ctx, `/t/${seg(tenant)}/pipelines/${seg(saved.id)}/versions`);
      } }, 'Restore as newest')))));

  left.addEventListener('change', showDiff);
  right.addEventListener('change', showDiff);
  root.append(h('div', { class: 'designer dz-versions' },
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, `Versions of ${latest.name}`),
      h('a', { class: 'btn', href: `#/t/${seg(tenant)}/pipelines/${seg(latest.id)}/design` }, 'Open the designer')),
    h('p', { class: 'muted' }, 'Schedules run the newest version; Run this version runs the one you pick, once.'),
    status,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'num' }, 'Version'), h('th', { scope: 'col' }, 'Saved'),
        h('th', { scope: 'col' }, 'Actions'))),
      h('tbody', {}, ...rows))),
    h('h2', {}, 'Compare'),
    h('div', { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: 'dz-diff-a' }, 'From'), left),
      h('div', { class: 'field' }, h('label', { for: 'dz-diff-b' }, 'To'), right)),
    diffHolder));
  if (versions.length) await showDiff();
}

function diffView(lines, a, b) {
  const { added, removed } = diffStats(lines);
  if (!added && !removed) return h('p', { class: 'dz-ok' }, `Versions ${a} and ${b} are the same.`);
  const rows = lines.map((l) => h('tr', { class: l.op === '+' ? 'dz-add' : l.op === '-' ? 'dz-del' : 'dz-same' },
    h('td', { class: 'num dz-ln' }, l.a ? String(l.a) : ''), h('td', { class: 'num dz-ln' }, l.b ? String(l.b) : ''),
    h('td', { class: 'dz-op', 'aria-label': l.op === '+' ? 'added' : l.op === '-' ? 'removed' : 'same' }, l.op),
    h('td', { class: 'dz-code' }, l.text)));
  return h('div', {},
    h('p', { class: 'dz-diff-stats' }, `Version ${a} → ${b}: ${added} lines added, ${removed} removed.`),
    h('div', { class: 'table-wrap' }, h('table', { class: 'dz-diff' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, a), h('th', { scope: 'col' }, b), h('th', { scope: 'col' }, ''),
        h('th', { scope: 'col' }, 'Line'))),
      h('tbody', {}, ...rows))));
}
