// The canvas's chain: source -> steps -> destination as nodes, with drop slots between them. Palette items are
// dropped into a slot (steps) or onto the source/destination; steps are reordered by dragging or with the
// Move buttons, removed with Remove. A route step shows where its branch goes.
import { h } from '../ui.js';
import { nodesOf } from './pipeline-model.js';
import { droppedItem, PALETTE_TYPE } from './palette.js';

const NODE_TYPE = 'application/x-onramp-node';

/** Where a step dragged from `from` lands when dropped into slot `slot` (the slot before step `slot`). */
export function moveTarget(from, slot) {
  return slot > from ? slot - 1 : slot;
}

function accepts(ev) {
  const types = [...(ev.dataTransfer?.types || [])];
  return types.includes(PALETTE_TYPE) || types.includes(NODE_TYPE) || types.includes('text/plain');
}

function dropTarget(el, onDrop) {
  el.addEventListener('dragover', (ev) => {
    if (!accepts(ev)) return;
    ev.preventDefault();
    el.classList.add('dz-over');
  });
  el.addEventListener('dragleave', () => el.classList.remove('dz-over'));
  el.addEventListener('drop', (ev) => {
    ev.preventDefault();
    el.classList.remove('dz-over');
    const node = ev.dataTransfer.getData(NODE_TYPE);
    if (node !== '') onDrop({ move: Number(node) });
    else {
      const item = droppedItem(ev);
      if (item) onDrop({ item });
    }
  });
}

/**
 * The chain element. `view`: `{selected, problems (by node id), preview counts (by node id)}`; `on`: `select(id)`,
 * `drop(item, slot)`, `move(from, to)`, `remove(index)`, `removeSide(kind)`.
 */
export function chain(doc, view, on) {
  const nodes = nodesOf(doc);
  const steps = nodes.filter((n) => n.kind === 'step');
  const list = h('ol', { class: 'dz-chain', 'aria-label': 'Pipeline chain' });
  const slot = (at) => {
    const el = h('li', { class: 'dz-slot', 'data-slot': String(at), 'aria-hidden': 'true' },
      h('span', { class: 'dz-slot-line' }));
    dropTarget(el, ({ item, move }) => {
      if (move !== undefined) on.move(move, moveTarget(move, at));
      else if (item) on.drop(item, at);
    });
    return el;
  };
  for (const node of nodes) {
    if (node.kind === 'step' && node.index === 0) list.append(slot(0));
    if (node.kind === 'destination' && steps.length === 0) list.append(slot(0));
    list.append(nodeElement(node, steps.length, view, on));
    if (node.kind === 'step') list.append(slot(node.index + 1));
  }
  return list;
}

function nodeElement(node, stepCount, view, on) {
  const problems = view.problems?.get(node.id) || [];
  const count = view.counts?.get(node.id);
  const selected = view.selected === node.id;
  const classes = ['dz-node', `dz-node-${node.kind}`, selected ? 'dz-selected' : '',
    problems.length ? 'dz-has-problems' : '',
    node.empty ? 'dz-node-empty' : ''];
  const title = node.kind === 'step' ? node.type : node.kind;
  const selectButton = h('button', { type: 'button', class: 'dz-node-select', 'aria-pressed': String(selected),
    onclick: () => on.select(node.id) },
  h('span', { class: 'dz-node-kind' }, title),
  h('span', { class: 'dz-node-label' }, node.empty ? `Drop a ${node.kind} here` : node.label),

  count !== undefined ? h('span', { class: 'dz-count' }, `${count} records`) : '',
  problems.length ? h('span', { class: 'dz-problem-count' }, `${problems.length} problem${problems.length > 1 ? 's' : ''}`)
    : '');
  const tools = h('div', { class: 'dz-node-tools' });
  if (node.kind === 'step') {
    tools.append(
      h('button', { type: 'button', class: 'btn small', disabled: node.index === 0,
        'aria-label': `Move ${node.label} up`, onclick: () => on.move(node.index, node.index - 1) }, '↑'),
      h('button', { type: 'button', class: 'btn small', disabled: node.index === stepCount - 1,
        'aria-label': `Move ${node.label} down`, onclick: () => on.move(node.index, node.index + 1) }, '↓'),
      h('button', { type: 'button', class: 'btn small', 'aria-label': `Remove ${node.label}`,
        onclick: () => on.remove(node.index) }, 'Remove'));
  } else if (!node.empty) {
    tools.append(h('button', { type: 'button', class: 'btn small', 'aria-label': `Remove the ${node.kind}`,
      onclick: () => on.removeSide(node.kind) }, 'Remove'));
  }
  const routed = view.counts?.get(`${node.id} routed`);
  const branch = node.branch ? h('div', { class: 'dz-branch', 'aria-label': `Branch ${node.branch}` },
    `↳ branch ${node.branch}`,
    routed !== undefined ? h('span', { class: 'dz-count' }, ` ${routed} routed`) : '') : '';
  const li = h('li', { class: classes.filter(Boolean).join(' '), 'data-node': node.id }, selectButton, branch, tools);
  if (node.kind === 'step') {
    li.draggable = true;
    li.addEventListener('dragstart', (ev) => {
      ev.dataTransfer.setData(NODE_TYPE, String(node.index));
      ev.dataTransfer.effectAllowed = 'move';
    });
  } else {
    dropTarget(li, ({ item }) => {
      if (item?.kind === node.kind) on.drop(item, null);
    });
  }
  return li;
}
