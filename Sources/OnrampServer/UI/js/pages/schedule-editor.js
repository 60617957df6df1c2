// The schedule editor: presets or a custom cron, a time zone, and the next 5 fire times as you type.
import { h, field, replace, debounce, formatTime, errorBox } from '../ui.js';

/** `pattern`'s numbered groups as numbers under `names`, or null when `cron` does not match. */
function groups(cron, pattern, names) {
  const m = cron.match(pattern);
  return m ? Object.fromEntries(names.map((n, i) => [n, parseInt(m[i + 1], 10)])) : null;
}

/** The presets: each turns its inputs into a cron, and reads a cron back when it is one of its own. */
const PRESETS = [
  { id: 'hourly', label: 'Every hour', cron: (v) => `${v.minute} * * * *`,
    parse: (c) => groups(c, /^(\d{1,2}) \* \* \* \*$/, ['minute']) },
  { id: 'daily', label: 'Every day at', cron: (v) => `${v.minute} ${v.hour} * * *`,
    parse: (c) => groups(c, /^(\d{1,2}) (\d{1,2}) \* \* \*$/, ['minute', 'hour']) },
  { id: 'weekdays', label: 'Weekdays (Mon-Fri) at', cron: (v) => `${v.minute} ${v.hour} * * mon-fri`,
    parse: (c) => groups(c, /^(\d{1,2}) (\d{1,2}) \* \* (?:mon-fri|1-5)$/i, ['minute', 'hour']) },
  { id: 'monthly', label: 'Every month on day … at', cron: (v) => `${v.minute} ${v.hour} ${v.day} * *`,
    parse: (c) => groups(c, /^(\d{1,2}) (\d{1,2}) (\d{1,2}) \* \*$/, ['minute', 'hour', 'day']) },
  { id: 'custom', label: 'Custom (cron)', cron: (v) => v.custom, parse: () => null },
];

export function timeZones() {
  let zones = [];
  try { zones = Intl.supportedValuesOf('timeZone'); } catch { zones = []; }
  if (!zones.includes('UTC')) zones = ['UTC', ...zones];
  return zones;
}

/** Reads a cron back into a preset and its values (custom when no preset makes it). */
export function presetFor(cron) {
  const c = (cron || '').trim().replace(/\s+/g, ' ');
  for (const p of PRESETS) {
    const v = p.parse(c);
    if (v) return { preset: p.id, values: { minute: 0, hour: 6, day: 1, ...v, custom: c } };
  }
  return { preset: cron ? 'custom' : 'daily', values: { minute: 0, hour: 6, day: 1, custom: c || '0 6 * * *' } };
}

/** An editor for `{cron, timezone, enabled}`; `onSave(value)` is called with the result; returns its element. */
export function scheduleEditor(api, initial, { onSave, onCancel, saveLabel = 'Save schedule' }) {
  const start = presetFor(initial.cron);
  const preset = h('select', { name: 'preset' }, PRESETS.map((p) => h('option', { value: p.id, selected: p.id === start.preset }, p.label)));
  const hourMinute = h('input', { type: 'time', name: 'time', step: 60, required: true,
    value: `${String(start.values.hour).padStart(2, '0')}:${String(start.values.minute).padStart(2, '0')}` });
  const minute = h('input', { type: 'number', name: 'minute', min: 0, max: 59, value: String(start.values.minute) });
  const day = h('input', { type: 'number', name: 'day', min: 1, max: 31, value: String(start.values.day) });
  const custom = h('input', { type: 'text', name: 'cron', value: start.values.custom, spellcheck: false,
    autocomplete: 'off', class: 'mono' });
  const zone = h('select', { name: 'timezone' }, timeZones().map((z) => h('option', { value: z, selected: z === (initial.timezone || 'UTC') }, z)));
  const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: initial.enabled !== false,
    id: 'sched-enabled-' + Math.random().toString(36).slice(2) });
  const cronShown = h('code', { class: 'cron-shown' });
  const preview = h('div', { class: 'preview', 'aria-live': 'polite' });
  const message = h('div', { 'aria-live': 'assertive' });

  const fMinute = field('Minute past the hour', minute);
  const fTime = field('Time', hourMinute);
  const fDay = field('Day of the month', day, 'Months without that day are skipped.');
  const fCustom = field('Cron expression', custom, 'minute hour day-of-month month day-of-week, e.g. 30 7 * * mon-fri');

  function values() {
    const [hh, mm] = (hourMinute.value || '06:00').split(':').map((x) => parseInt(x, 10));
    return { hour: hh || 0, minute: preset.value === 'hourly' ? parseInt(minute.value, 10) || 0 : mm || 0,
      day: parseInt(day.value, 10) || 1, custom: custom.value.trim() };
  }
  function cron() { return PRESETS.find((p) => p.id === preset.value).cron(values()); }
  function layout() {
    const p = preset.value;
    fMinute.hidden = p !== 'hourly';
    fTime.hidden = !['daily', 'weekdays', 'monthly'].includes(p);
    fDay.hidden = p !== 'monthly';
    fCustom.hidden = p !== 'custom';
  }

  let asked = 0;
  const refresh = debounce(async () => {
    const c = cron();
    const mine = ++asked;
    cronShown.textContent = c;
    try {
      const answer = await api.post('/schedules/preview', { cron: c, timezone: zone.value, count: 5 });
      if (mine !== asked) return;
      custom.removeAttribute('aria-invalid');
      replace(preview, h('h3', {}, enabled.checked ? 'Next 5 runs' : 'Next 5 times (when enabled)'),
        h('ol', { class: 'fire-times' }, (answer.next || []).map((at) => h('li', { title: at }, `${formatTime(at)} (${zone.value})`))));
    } catch (err) {
      if (mine !== asked) return;
      if (err.status === 404) { replace(preview, h('p', { class: 'muted' }, 'The preview of fire times is not available on this server.')); return; }
      if (err.field === 'cron') custom.setAttribute('aria-invalid', 'true');
      replace(preview, errorBox(err));
    }
  }, 250);

  for (const el of [preset, hourMinute, minute, day, custom, zone, enabled]) {
    el.addEventListener('input', () => { layout(); refresh(); });
    el.addEventListener('change', () => { layout(); refresh(); });
  }
  preset.addEventListener('change', () => {
    if (preset.value === 'custom' && !custom.value) custom.value = cron();
  });
  layout();
  refresh();

  const save = h('button', { type: 'submit', class: 'btn primary' }, saveLabel);
  const form = h('form', { class: 'card schedule-editor', onsubmit: async (e) => {
    e.preventDefault();
    replace(message);
    save.disabled = true;
    try { await onSave({ cron: cron(), timezone: zone.value, enabled: enabled.checked }); }
    catch (err) { replace(message, errorBox(err)); }
    finally { save.disabled = false; }
  } },
  h('div', { class: 'row' }, field('Repeat', preset), fMinute, fTime, fDay, fCustom, field('Time zone', zone)),
  h('div', { class: 'field check' }, enabled, h('label', { for: enabled.id }, 'Enabled')),
  h('p', { class: 'muted' }, 'Cron: ', cronShown),
  preview, message,
  h('div', { class: 'actions' }, onCancel ? h('button', { type: 'button', class: 'btn', onclick: onCancel }, 'Cancel') : null, save));
  form.cancelRefresh = refresh.cancel;
  return form;
}
