#!/usr/bin/env node
// The `kontext` command: registers the TypeScript loader, then runs the CLI from source.
import '../register.mjs';

const { main, quietOnClosedPipe } = await import('../src/cli/main.ts');
quietOnClosedPipe(process.stdout);
process.exitCode = await main(process.argv.slice(2));
