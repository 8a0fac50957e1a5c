// The module path stack: Module.scope pushes a module's dotted path ('double_blocks.0.img_attn') while its code
// builds nodes, so node names and errors say where they come from. Its own file so that graph.ts and module.ts,
// which both need it, do not import each other in a cycle.

const pathStack: string[] = [];

export function currentPath(): string {
  return pathStack.length ? pathStack[pathStack.length - 1] : '';
}

export function withPath<T>(path: string, fn: () => T): T {
  pathStack.push(path);
  try {
    return fn();
  } finally {
    pathStack.pop();
  }
}
