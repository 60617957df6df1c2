// The JSONata editor of map/set/filter fields: the server compiles the expression as you type (debounced) and
// the error is underlined at its position; the value on the selected sample record is shown below.
import { h } from '../ui.js';
import { debounce } from './common.js';

// The server evaluates one expression of a caller at a time (429 otherwise): evaluations wait their turn here.
let evaluations = Promise.resolve();
function queued(task) {
  const run = evaluations.then(task, task);
  evaluations = run.catch(() => {});
  return run;
}

/** The character range to underline for a compile error: the token ending at `position`, or one character. */
export function errorRange(text, error) {
  const len = text.length;
  let end = Number.isInteger(error?.position) ? Math.max(0, Math.min(error.position, len)) : len;
  const token = typeof error?.token === 'string' ? error.token : '';
  let start = end - token.length;
  if (token && text.slice(start, end) !== token) {
    const at = text.indexOf(token, Math.max(0, end - token.length - 1));
    start = at >= 0 ? at : Math.max(0, end - 1);
    end = at >= 0 ? at + token.length : end;
  }
  if (start >= end) {
    start = Math.max(0, Math.min(end, len - 1));
    end = Math.min(len, start + 1);
  }
  return { start: Math.max(0, start), end };
}

/** A short JSON text of a value for the "value" line (cut at `max` characters). */
export function shortJSON(value, max = 400) {
  if (value === undefined) return 'undefined (no value)';
  const s = JSON.stringify(value);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/**
 * An editor element for one expression. `opts`: `api`, `sample()` (the selected sample record or undefined),
 * `onInput`, `label`, `id`. Returns `{element, read, refresh}`; `refresh()` re-evaluates on a new sample.
 */
export function jsonataEditor(value, opts) {
  const { api } = opts;
  const rows = Math.min(12, Math.max(2, value.split('\n').length));
  const textarea = h('textarea', { id: opts.id, class: 'jx-input', rows,
    spellcheck: false, autocomplete: 'off', 'aria-describedby': `${opts.id}-status ${opts.id}-value` });
  textarea.value = value;
  const mirror = h('div', { class: 'jx-mirror', 'aria-hidden': 'true' });
  const status = h('p', { class: 'jx-status', id: `${opts.id}-status`, 'aria-live': 'polite' });
  const valueLine = h('p', { class: 'jx-value', id: `${opts.id}-value`, 'aria-live': 'polite' });
  let seq = 0;

  function paint(error) {
    const text = textarea.value;
    if (!error) {
      mirror.replaceChildren(text + '\n');
      return;
    }
    const { start, end } = errorRange(text, error);
    mirror.replaceChildren(text.slice(0, start), h('mark', { class: 'jx-error' }, text.slice(start, end) || ' '),
      text.slice(end) + '\n');
  }

  async function check() {
    const mine = ++seq;
    const expression = textarea.value;
    if (!expression.trim()) {
      paint(null);
      status.textContent = '';
      valueLine.textContent = '';
      return;
    }
    try {
      const compiled = await api.post('/expressions/compile', { expression });
      if (mine !== seq) return;
      if (!compiled.ok) {
        paint(compiled.error);
        textarea.setAttribute('aria-invalid', 'true');
        status.className = 'jx-status sf-error';
        status.textContent = `${compiled.error?.code || 'error'} at character ${compiled.error?.position ?? '?'}: `
          + `${compiled.error?.message || ''}`;
        valueLine.textContent = '';
        return;
      }
      paint(null);
      textarea.setAttribute('aria-invalid', 'false');
      status.className = 'jx-status jx-ok';
      status.textContent = 'Compiles.';
      await evaluate(mine, expression);
    } catch (e) {
      if (mine === seq) status.textContent = `Cannot check the expression: ${e.message}`;
    }
  }

  async function evaluate(mine, expression) {
    const input = opts.sample?.();
    if (input === undefined) {
      valueLine.textContent = 'Run Preview and pick a record to see this expression\'s value.';
      return;
    }
    const r = await queued(() => (mine === seq ? api.post('/expressions/evaluate', { expression, input }) : null));
    if (!r) return;
    if (mine !== seq) return;
    valueLine.className = r.ok ? 'jx-value' : 'jx-value sf-error';
    valueLine.textContent = r.ok ? `On the sample record: ${shortJSON(r.result)}`
      : `On the sample record: ${r.error?.code || 'error'}: ${r.error?.message || ''}`;
  }

  const debounced = debounce(check, 350);
  textarea.addEventListener('input', () => {
    paint(null);
    opts.onInput?.();
    debounced();
  });
  textarea.addEventListener('scroll', () => { mirror.scrollTop = textarea.scrollTop; });
  paint(null);
  debounced();  // debounced too: an inspector rebuilt per keystroke would otherwise compile every field at once
  const element = h('div', { class: 'jx-editor' }, h('div', { class: 'jx-stack' }, mirror, textarea), status, valueLine);
  return { element, read: () => textarea.value, refresh: () => check() };
}
