#!/usr/bin/env node
// The `gorggle` bin: runs the TypeScript CLI through tsx on Node >= 22, re-running itself
// with the repository's Node 22 (npm's `node` package) when started by an older one.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const major = Number(process.versions.node.split('.')[0]);

if (major >= 22) {
  const { register } = await import('tsx/esm/api');
  register();
  const { runCli } = await import('./main.ts');
  process.exitCode = await runCli(process.argv.slice(2));
} else {
  const node22 = path.resolve(here, '..', '..', 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(node22)) {
    console.error(`gorggle needs Node 22 or newer (this is ${process.version}); run \`make setup\` to install it.`);
    process.exit(1);
  }
  const child = spawn(node22, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  // Ctrl-C reaches the child through the terminal; this process only waits for it.
  process.on('SIGINT', () => {});
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}
