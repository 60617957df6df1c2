// The palette: sources, steps and destinations of the catalog (plugins included), each draggable onto the
// canvas and with an "Add" button for the keyboard.
import { h } from '../ui.js';

export const PALETTE_TYPE = 'application/x-onramp-palette';

/** Reads a palette item dropped with `event`, or null. */
export function droppedItem(event) {
  try {
    const raw = event.dataTransfer?.getData(PALETTE_TYPE) || event.dataTransfer?.getData('text/plain');
    const item = raw ? JSON.parse(raw) : null;
    return item && typeof item.kind === 'string' && typeof item.name === 'string' ? item : null;
  } catch {
    return null;
  }
}

/**
 * The palette element; `onAdd({kind, name, connection?})` is called by the Add buttons. `connections` (the tenant's)
 * are offered as sources or destinations by their connector's kind.
 */
export function palette(catalog, onAdd, connections = []) {
  const filter = h('input', { type: 'search', id: 'dz-palette-filter', placeholder: 'Filter', autocomplete: 'off' });
  const kindOf = (c) => (catalog.byKey.has(`source:${c.connector}`) ? 'source' : 'destination');
  const named = connections.map((c) => ({ name: c.name, summary: `${c.connector} connection`, kind: kindOf(c),
    connection: true }));
  const sections = [['source', 'Sources', catalog.sources], ['step', 'Steps', catalog.steps],
    ['destination', 'Destinations', catalog.destinations]];
  if (named.length) sections.unshift([null, 'Connections', named]);
  const groups = sections.map(([groupKind, title, entries]) => {
    const items = entries.map((c) => {
      const kind = groupKind || c.kind;
      const what = c.connection ? `${kind} connection` : kind;
      const li = h('li', { class: `dz-pal-item dz-pal-${kind}`, draggable: 'true', 'data-kind': kind, 'data-name': c.name,
        'data-connection': c.connection ? 'true' : null, title: c.summary || c.name },
      h('span', { class: 'dz-pal-name' }, c.name),
      h('button', { type: 'button', class: 'btn small', 'aria-label': `Add ${what} ${c.name}`,
        onclick: () => onAdd({ kind, name: c.name, connection: !!c.connection }) }, 'Add'));
      li.addEventListener('dragstart', (ev) => {
        const data = JSON.stringify({ kind, name: c.name, connection: !!c.connection });
        ev.dataTransfer.setData(PALETTE_TYPE, data);
        ev.dataTransfer.setData('text/plain', data);
        ev.dataTransfer.effectAllowed = 'copy';
        document.body.classList.add(`dz-dragging-${kind}`);
      });
      li.addEventListener('dragend', () => document.body.classList.remove(`dz-dragging-${kind}`));
      return li;
    });
    return h('section', { class: 'dz-pal-group' }, h('h3', {}, title), h('ul', { class: 'dz-pal-list' }, ...items));
  });
  filter.addEventListener('input', () => {
    const q = filter.value.trim().toLowerCase();
    for (const li of document.querySelectorAll('.dz-pal-item')) {
      li.hidden = !!q && !li.dataset.name.toLowerCase().includes(q);
    }
  });
  return h('aside', { class: 'dz-palette', 'aria-label': 'Palette' },
    h('label', { for: 'dz-palette-filter', class: 'sf-label' }, 'Palette'), filter, ...groups);
}
