// The victim of kill.test.ts: adds turns to session 'k' in DATA as fast as it can (noise images, so every turn
// writes a new file), with an undo or a branch now and then, until it is killed. After each commit it prints
// "turn N", so the test knows which turns were complete before the kill.
//
//   node --import tsx test/session/kill-child.ts DATA
//
// It simulates a slow disk: file writes go out in 16 KiB pieces with pauses between them, and every fsync waits
// a little first. The store's code runs unchanged, but a random kill now often lands inside an image write, the
// moment that a careless design (writing straight to the final name) would turn into a truncated image.
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SessionEditor } from '../../src/session/editor.ts';
import { loadSessionModel } from '../../src/session/model.ts';
import { SessionStore } from '../../src/session/store.ts';

await slowDisk(process.argv[2]);
const store = await SessionStore.open(process.argv[2]);
if (!store.findSession('k')) store.createSession('k');
const editor = new SessionEditor(store, await loadSessionModel('noise'));
for (let i = 0; ; i++) {
  const s = store.session('k');
  const r = Math.random();
  if (r < 0.1 && s.head !== null) store.undo('k');
  else if (r < 0.2 && s.turnCount > 0) store.setHead('k', 1 + Math.floor(Math.random() * s.turnCount));
  else {
    const { turn } = await editor.edit('k', { instruction: `turn ${i}`, width: 160, height: 160 });
    process.stdout.write(`turn ${turn.n}\n`);
  }
}

async function slowDisk(dir: string): Promise<void> {
  const probe = join(dir, '.probe');
  const fh = await open(probe, 'w');
  const proto = Object.getPrototypeOf(fh); // FileHandle.prototype, shared by every handle fs/promises opens
  await fh.close();
  await rm(probe);
  const sync = proto.sync;
  proto.writeFile = async function (this: typeof fh, data: Uint8Array) {
    for (let at = 0; at < data.length; at += 16384) {
      await this.write(data.subarray(at, at + 16384));
      await sleep(2);
    }
  };
  proto.sync = async function (this: typeof fh) {
    await sleep(5);
    return sync.call(this);
  };
}
