// The cache of compiled sessions both engines keep — Node's (session.ts) and a browser page's
// (src/browser/session.ts): least recently used first out, keyed by a signature of the serialized model and the
// options. A session is remembered while it is being made (two callers compiling the same graph share one), forgotten
// if making it fails, and evicted sessions are only forgotten, never released: a caller may still be running one.

export class SessionCache<T> {
  private readonly map = new Map<string, Promise<T>>();

  constructor(public limit: number) {}

  /** The session for `signature`, now the most recently used; undefined if none is cached. */
  get(signature: string): Promise<T> | undefined {
    const hit = this.map.get(signature);
    if (hit) {
      this.map.delete(signature);
      this.map.set(signature, hit);
    }
    return hit;
  }

  /** Remember a session being made under `signature`. */
  add(signature: string, made: Promise<T>): void {
    this.map.set(signature, made);
    made.catch(() => this.map.get(signature) === made && this.map.delete(signature));
    while (this.map.size > this.limit) this.map.delete(this.map.keys().next().value!);
  }

  /** Forget `session` if `signature` still holds it (it is being released). */
  forget(signature: string, session: T): void {
    const p = this.map.get(signature);
    if (p)
      p.then((hit) => hit === session && this.map.get(signature) === p && this.map.delete(signature)).catch(() => {});
  }

  /** Every cached session, the cache emptied. */
  drain(): Promise<T>[] {
    const all = [...this.map.values()];
    this.map.clear();
    return all;
  }
}
