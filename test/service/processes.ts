// Real processes for the scale-out test and the load benchmark: Debian's redis-server on a free loopback port in
// a temporary folder, and `kontext` commands (bin/kontext.mjs) whose stderr is kept and watched.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/kontext.mjs', import.meta.url));

/** Debian's redis-server (apt-get install redis-server), or null when this machine has none. */
export function redisServerPath(): string | null {
  const path = process.env.KONTEXT_REDIS_SERVER ?? '/usr/bin/redis-server';
  return existsSync(path) ? path : null;
}

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface Proc {
  child: ChildProcess;
  /** stdout and stderr so far */
  output(): string;
  /** resolves with the first match of `re` in the output (now or later) */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  exit: Promise<number | null>;
  /** SIGTERM, then SIGKILL after a while; resolves when it has exited */
  stop(): Promise<void>;
}

export function startProcess(cmd: string, args: string[], o: { cwd?: string; name?: string } = {}): Proc {
  const child = spawn(cmd, args, { cwd: o.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  let exited = false;
  void exit.then(() => {
    exited = true;
    for (const w of [...waiters]) w();
  });
  const name = o.name ?? `${cmd} ${args[0] ?? ''}`;
  return {
    child,
    output: () => out,
    exit,
    waitFor(re, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${name}: no ${re} within ${timeoutMs} ms; output:\n${out}`));
        }, timeoutMs);
        const check = () => {
          const m = re.exec(out);
          if (m || exited) {
            waiters.delete(check);
            clearTimeout(timer);
            if (m) resolve(m);
            else reject(new Error(`${name} exited before printing ${re}; output:\n${out}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** `node bin/kontext.mjs ARGS`; `preload` modules are imported first (e.g. one that registers a test model). */
export function kontext(args: string[], o: { preload?: string[]; name?: string } = {}): Proc {
  const pre = (o.preload ?? []).flatMap((p) => ['--import', p]);
  return startProcess(process.execPath, [...(pre.length ? ['--import', 'tsx', ...pre] : []), BIN, ...args], {
    name: o.name ?? `kontext ${args[0]}`,
  });
}

/** `kontext serve ARGS`, once it listens: its URL. */
export async function serve(args: string[], o: { preload?: string[] } = {}): Promise<Proc & { url: string }> {
  const p = kontext(['serve', '--port', '0', ...args], o);
  const [, url] = await p.waitFor(/listening on (http:\/\/\S+)/);
  return Object.assign(p, { url });
}

/** `kontext worker ARGS`, once it takes jobs. */
export async function worker(args: string[], o: { preload?: string[]; name?: string } = {}): Promise<Proc> {
  const p = kontext(['worker', ...args], o);
  await p.waitFor(/takes jobs from/);
  return p;
}

export interface Redis {
  url: string;
  stop(): Promise<void>;
}

/** redis-server on a free loopback port, its files in `dir`, nothing persisted. */
export async function startRedis(dir: string): Promise<Redis> {
  const bin = redisServerPath();
  if (!bin) throw new Error('redis-server is not installed (apt-get install redis-server)');
  const port = await freePort();
  const p = startProcess(
    bin,
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
    { name: 'redis-server' },
  );
  await p.waitFor(/Ready to accept connections/, 20_000);
  return { url: `redis://127.0.0.1:${port}`, stop: p.stop };
}
