// Multi-turn editing sessions as a library:
//
//   const store = await SessionStore.open('kontext-data');
//   const { id } = store.createSession();
//   const editor = new SessionEditor(store, await loadSessionModel('mini'));
//   await editor.edit(id, { instruction: 'make the circle blue', images: [await readImage('cup.png')] });
//   await editor.edit(id, { instruction: 'add a red square' });   // edits the previous output
//   store.undo(id);                                                // head back to turn 1
//   await editor.edit(id, { instruction: 'add a green star' });    // turn 3: a branch beside turn 2
//   await exportSession(store, id, 'cup-session');
//   store.close();

export { SessionEditor, DEFAULT_SIZE, type TurnOptions, type TurnResult } from './editor.ts';
export { exportSession, type ExportResult } from './export.ts';
export { formatSessions, formatTree } from './format.ts';
export { ImageStore, sha256, isImageHash } from './images.ts';
export { loadSessionModel, type SessionEditRequest, type SessionModel } from './model.ts';
export { SessionStore, type OpenOptions } from './store.ts';
export type { Session, Turn, TurnInput } from './types.ts';
