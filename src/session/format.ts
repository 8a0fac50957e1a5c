// Text rendering of sessions for the terminal: a table of sessions, and a session's turns drawn as a tree.
//
//   session s1: 4 turns, head 3
//   1  "make the circle blue"  64x64 seed 7 identity 0.01 s
//   ├─ 2  "add a square"  ...
//   │  └─ 3  "make it red"  ...  <- head
//   └─ 4  "make it green"  ...          (a branch made after undoing 3 and 2)

import type { MadeAs, Session, Turn } from './types.ts';

/**
 * What a model made of an instruction (MadeAs), in words: "the reference's style read as striped, made as \"…\"" (and
 * ", then \"…\"" for edits asked after the style) or "2 edits one after the other" (`list`: followed by them, quoted).
 */
export function describeMadeAs(m: MadeAs, list = true): string {
  const quoted = m.edits.map((e) => JSON.stringify(e));
  // a style reference: the style named, then any edits asked after it (src/mini/style-reference.ts, editsAfterStyle)
  const [named, ...after] = quoted;
  if (m.style)
    return `the reference's style read as ${m.style}, made as ${named}${after.length ? `, then ${after.join(', ')}` : ''}`;
  // one edit: the instruction read otherwise ("move it up" after a turn: "move the blue circle up")
  if (m.edits.length === 1) return `made as ${named}`;
  return `${m.edits.length} edits one after the other${list ? `: ${quoted.join(', ')}` : ''}`;
}

/**
 * The edits (as made) whose answer showed less of them than all, as kontext-mini's editor reads them, after every try
 * (MiniEditResult.unshown): "the answer does not show all of "make the blue circle red" as the editor reads it".
 */
export function describeUnshown(unshown: readonly string[]): string {
  return `the answer does not show all of ${unshown.map((e) => JSON.stringify(e)).join(', ')} as the editor reads it`;
}

export function formatSessions(sessions: Session[]): string {
  if (!sessions.length) return 'no sessions yet (kontext session new)';
  const rows = sessions.map((s) => [s.id, String(s.turnCount), s.head === null ? '-' : String(s.head), s.createdAt]);
  const all = [['session', 'turns', 'head', 'created'], ...rows];
  const widths = all[0].map((_, c) => Math.max(...all.map((r) => r[c].length)));
  return all
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function describe(t: Turn): string {
  const knobs = [
    t.steps !== null ? `steps ${t.steps}` : '',
    t.guidance !== null ? `guidance ${t.guidance}` : '',
    t.candidates !== null && t.candidates > 1 ? `best of ${t.candidates}` : '',
    t.retries !== null && t.retries > 0 ? `retries ${t.retries}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return (
    `${t.n}  ${JSON.stringify(t.instruction)}  ` +
    `${t.width}x${t.height} seed ${t.seed}${knobs ? ` ${knobs}` : ''} ${t.model} ${t.seconds.toFixed(2)} s` +
    (t.madeAs ? ` (${describeMadeAs(t.madeAs)})` : '') +
    (t.unshown ? ` (${describeUnshown(t.unshown)})` : '')
  );
}

export function formatTree(session: Session, turns: Turn[]): string {
  const head = session.head === null ? 'at the start' : `head ${session.head}`;
  const lines = [`session ${session.id}: ${turns.length} turn${turns.length === 1 ? '' : 's'}, ${head}`];
  const children = new Map<number | null, Turn[]>();
  for (const t of turns) children.set(t.parent, [...(children.get(t.parent) ?? []), t]);
  // Depth-first: roots flush left; a child is drawn under its parent with ├─ (more siblings follow) or └─ (last).
  const walk = (t: Turn, prefix: string, branch: string, last: boolean) => {
    lines.push(`${prefix}${branch}${describe(t)}${t.n === session.head ? '  <- head' : ''}`);
    const kids = children.get(t.n) ?? [];
    const under = branch ? prefix + (last ? '   ' : '│  ') : prefix;
    for (const [i, k] of kids.entries()) walk(k, under, i === kids.length - 1 ? '└─ ' : '├─ ', i === kids.length - 1);
  };
  for (const root of children.get(null) ?? []) walk(root, '', '', true);
  return lines.join('\n');
}
