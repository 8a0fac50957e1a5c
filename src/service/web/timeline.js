// The session's timeline: every turn (all branches) as a list in tree order — a turn, then its first child
// continuing the line, then later children (branches) indented under it — each with a thumbnail, its instruction,
// and the seed and parameters it ran with. The head (where the next edit continues) and the path to it from the
// start are marked; clicking a turn asks to move the head there (a branch).

import { imageUrl } from './api.js';

/**
 * Turns in tree order with their indentation depth and whether their parent is the entry right above.
 * @param {any[]} turns
 * @returns {{ turn: any, depth: number, follows: boolean }[]}
 */
export function treeOrder(turns) {
  const children = new Map();
  for (const t of turns) children.set(t.parent, [...(children.get(t.parent) ?? []), t]);
  /** @type {{ turn: any, depth: number, follows: boolean }[]} */
  const out = [];
  const walk = (t, depth) => {
    out.push({ turn: t, depth, follows: out.length > 0 && out[out.length - 1].turn.n === t.parent });
    for (const [i, k] of (children.get(t.n) ?? []).entries()) walk(k, depth + (i > 0 ? 1 : 0));
  };
  for (const [i, root] of (children.get(null) ?? []).entries()) walk(root, i > 0 ? 1 : 0);
  return out;
}

/**
 * What the model made of a turn's instruction (the API's MadeAs), in words; null when it made it as given. The same
 * words as the terminal's (src/session/format.ts, describeMadeAs).
 */
export function describeMadeAs(m) {
  if (!m) return null;
  const quoted = m.edits.map((e) => JSON.stringify(e));
  // a style reference: the style named, then any edits asked after it (src/mini/style-reference.ts, editsAfterStyle)
  const [named, ...after] = quoted;
  if (m.style)
    return `the reference's style read as ${m.style}, made as ${named}${after.length ? `, then ${after.join(', ')}` : ''}`;
  // one edit: the instruction read otherwise ("move it up" after a turn: "move the blue circle up")
  if (m.edits.length === 1) return `made as ${named}`;
  return `${m.edits.length} edits one after the other: ${quoted.join(', ')}`;
}

/**
 * The edits (as made) whose answer showed less of them than all after every try, as kontext-mini's editor reads them
 * (the API's `unshown`), in words; null when there are none. The same words as the terminal's (src/session/format.ts,
 * describeUnshown).
 */
export function describeUnshown(unshown) {
  if (!unshown?.length) return null;
  return `the answer does not show all of ${unshown.map((e) => JSON.stringify(e)).join(', ')} as the editor reads it`;
}

/**
 * "seed 7 · 8 steps · guidance 2.5 · best of 4 · 64×64 · kontext-mini · 1.2 s" (best of n only when n > 1), and what
 * the model made of the instruction when not as given, and the edits its answer did not show
 */
export function describeTurn(t) {
  return [
    `seed ${t.seed}`,
    t.steps === null ? null : `${t.steps} step${t.steps === 1 ? '' : 's'}`,
    t.guidance === null ? null : `guidance ${t.guidance}`,
    t.candidates > 1 ? `best of ${t.candidates}` : null,
    `${t.width}×${t.height}`,
    t.model,
    `${t.seconds.toFixed(2)} s`,
    describeMadeAs(t.madeAs),
    describeUnshown(t.unshown),
  ]
    .filter(Boolean)
    .join(' · ');
}

/** The number of reference images a turn had besides the one it edited. */
export const referenceCount = (t) => Math.max(0, t.inputs.length - 1);

/**
 * @param {HTMLOListElement} list
 * @param {{ session: any, current: number[], turns: any[] } | null} detail
 * @param {{ onBranch: (n: number) => void, busy: boolean }} o
 */
export function renderTimeline(list, detail, o) {
  list.replaceChildren();
  if (!detail) return;
  const head = detail.session.head;
  const onPath = new Set(detail.current);

  const item = (n, build) => {
    const li = document.createElement('li');
    li.className = 'turn';
    li.dataset.turn = String(n);
    const isHead = n === 0 ? head === null : n === head;
    li.classList.toggle('is-head', isHead);
    li.classList.toggle('on-path', n === 0 || onPath.has(n));
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'turn-button';
    b.disabled = o.busy;
    if (isHead) b.setAttribute('aria-current', 'step');
    b.addEventListener('click', () => o.onBranch(n));
    build(b, li);
    if (isHead) {
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.textContent = 'head';
      b.append(badge);
    }
    li.append(b);
    list.append(li);
  };

  if (detail.turns.length) {
    item(0, (b) => {
      b.title = 'Go back to the start: the next edit starts from the images you pick (or draws from text)';
      const label = document.createElement('span');
      label.className = 'turn-title';
      label.textContent = 'Start';
      b.append(label);
    });
  }
  for (const { turn: t, depth, follows } of treeOrder(detail.turns)) {
    item(t.n, (b, li) => {
      li.style.setProperty('--depth', String(Math.min(depth, 6)));
      b.title = `Continue from turn ${t.n}: the next edit starts here`;
      const img = document.createElement('img');
      img.className = 'thumb';
      img.src = imageUrl(t.output);
      img.alt = '';
      img.loading = 'lazy';
      img.width = 56;
      img.height = 56;
      const body = document.createElement('span');
      body.className = 'turn-body';
      const title = document.createElement('span');
      title.className = 'turn-title';
      const num = document.createElement('span');
      num.className = 'turn-n';
      num.textContent = String(t.n);
      title.append(num, ` ${t.instruction}`);
      const meta = document.createElement('span');
      meta.className = 'turn-meta';
      const refs = referenceCount(t);
      const extra = [
        !follows && t.parent !== null ? `from turn ${t.parent}` : null,
        t.parent === null && t.inputs.length === 0 ? 'text-to-image' : null,
        refs ? `+${refs} reference${refs === 1 ? '' : 's'}` : null,
      ].filter(Boolean);
      meta.textContent = [describeTurn(t), ...extra].join(' · ');
      body.append(title, meta);
      b.append(img, body);
    });
  }
}
