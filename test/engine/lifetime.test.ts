// Sessions are released explicitly (dispose) and all at once (releaseAllSessions, Ctrl-C); spilled-weight
// folders are removed on any exit: normal end, uncaught exception, SIGINT/SIGTERM, and (by the next process)
// after a SIGKILL.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile, Graph, Linear, liveSessionCount, releaseAllSessions } from '../../src/engine/index.ts';
import { REPO } from '../fixtures-path.ts';

function linearGraph(lin: Linear, rows: number): Graph {
  const g = new Graph();
  g.build(() => g.output('y', lin.forward(g.input('x', [rows, 64]))));
  return g;
}

function newLinear(): Linear {
  const lin = new Linear(64, 64);
  lin.weight.set({ dtype: 'float32', shape: [64, 64], data: new Float32Array(64 * 64).fill(0.01) });
  lin.bias!.set({ dtype: 'float32', shape: [64], data: new Float32Array(64) });
  return lin;
}

const feeds = (rows: number) => ({
  x: { dtype: 'float32' as const, shape: [rows, 64], data: new Float32Array(rows * 64).fill(1) },
});

describe('dispose', () => {
  it('frees the session, takes it out of the cache, and later runs throw', async () => {
    const lin = newLinear();
    const live = liveSessionCount();
    const c = await compile(linearGraph(lin, 3));
    expect(liveSessionCount()).toBe(live + 1);
    expect(await compile(linearGraph(lin, 3))).toBe(c); // cached
    expect(((await c.run(feeds(3))).y.data as Float32Array)[0]).toBeCloseTo(0.64, 5);
    await c.dispose();
    await c.dispose(); // idempotent
    expect(liveSessionCount()).toBe(live);
    await expect(c.run(feeds(3))).rejects.toThrow('disposed');
    const again = await compile(linearGraph(lin, 3));
    expect(again).not.toBe(c);
    expect(((await again.run(feeds(3))).y.data as Float32Array)[0]).toBeCloseTo(0.64, 5);
    await again.dispose();
  });

  it('releaseAllSessions frees every open session', async () => {
    const lin = newLinear();
    const cs = [
      await compile(linearGraph(lin, 1)),
      await compile(linearGraph(lin, 2)),
      await compile(linearGraph(lin, 5), { noCache: true }),
    ];
    await releaseAllSessions();
    expect(liveSessionCount()).toBe(0);
    for (const c of cs) await expect(c.run(feeds(c.inputs[0].shape[0]))).rejects.toThrow('disposed');
  });
});

describe('spill folders on exit', () => {
  const root = mkdtempSync(join(tmpdir(), 'kontext-lifetime-test-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  // A child process that spills a Linear layer's weights (as a checkpoint loader does), compiles and runs a
  // session on them, prints the spill folder, then ends as `how` says.
  const script = join(root, 'child.mts');
  const engine = join(REPO, 'src/engine/index.ts');
  writeFileSync(
    script,
    `import { compile, Graph, Linear, spillDir, spillParameter } from ${JSON.stringify(engine)};
const how = process.argv[2];
const lin = new Linear(64, 64);
lin.weight.set({ dtype: 'float32', shape: [64, 64], data: new Float32Array(64 * 64).fill(0.5) });
lin.bias.set({ dtype: 'float32', shape: [64], data: new Float32Array(64) });
const dir = spillDir();
await spillParameter(lin.weight, dir);
const g = new Graph();
g.build(() => g.output('y', lin.forward(g.input('x', [2, 64]))));
const c = await compile(g);
await c.run({ x: { dtype: 'float32', shape: [2, 64], data: new Float32Array(128).fill(1) } });
console.log(dir);
if (how === 'throw') throw new Error('boom');
if (how === 'exit') process.exit(3);
if (how === 'SIGINT' || how === 'SIGTERM' || how === 'SIGKILL') {
  process.kill(process.pid, how);
  await new Promise((r) => setTimeout(r, 5000));
}
if (how === 'handled') {
  // the application handles Ctrl-C itself (as the service does): the engine steps aside, the folder goes at exit
  process.on('SIGINT', () => { console.log('app handler'); setTimeout(() => process.exit(0), 50); });
  process.kill(process.pid, 'SIGINT');
  await new Promise((r) => setTimeout(r, 5000));
}
`,
  );
  const run = (how: string, env: Record<string, string> = {}) => {
    const tmp = join(root, `tmp-${how}`);
    mkdirSync(tmp, { recursive: true });
    const r = spawnSync(process.execPath, ['--import', 'tsx', script, how], {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, TMPDIR: tmp, ...env },
      timeout: 60_000,
    });
    const dir = r.stdout.trim().split('\n')[0];
    return { ...r, dir, tmp };
  };

  it.each([
    ['normal', 0, null],
    ['exit', 3, null],
    ['throw', 1, null],
    ['SIGINT', null, 'SIGINT'],
    ['SIGTERM', null, 'SIGTERM'],
  ])('removed after %s', (how, status, signal) => {
    const r = run(how);
    expect(r.dir.startsWith(join(r.tmp, 'kontext-weights-'))).toBe(true);
    expect(r.status).toBe(status);
    expect(r.signal).toBe(signal);
    expect(existsSync(r.dir)).toBe(false);
  });

  it('an application SIGINT handler keeps control; the folder is still removed when it exits', () => {
    const r = run('handled');
    expect(r.stdout).toContain('app handler');
    expect(r.status).toBe(0);
    expect(existsSync(r.dir)).toBe(false);
  });

  it('after a SIGKILL the next process that spills removes the folder', () => {
    const killed = run('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(killed.dir)).toBe(true); // nothing runs on SIGKILL
    // the next process, same temporary directory
    const tmp = killed.tmp;
    const next = spawnSync(process.execPath, ['--import', 'tsx', script, 'normal'], {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, TMPDIR: tmp },
      timeout: 60_000,
    });
    expect(next.status).toBe(0);
    expect(existsSync(killed.dir)).toBe(false);
    expect(readdirSync(tmp).filter((n) => n.startsWith('kontext-weights-'))).toEqual([]);
  });
});
