/** Small real Lambda zips for the runner and Step Functions tests, built like scripts/build.ts builds. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeDeterministicZip } from '../../../scripts/build/deterministic-zip';
import type { FunctionDefinition } from '../../../scripts/local-stack/lambda/runner';

export const TEST_FUNCTIONS: Record<string, string> = {
  // Echoes what it sees: its environment, context and event.
  echo: `export const handler = async (event, context) => ({
    event,
    env: { MARKER: process.env.MARKER, SHARED: process.env.SHARED ?? null, HOME: process.env.HOME ?? null },
    functionName: context.functionName,
    requestId: context.awsRequestId,
    remainingMs: context.getRemainingTimeInMillis(),
  });`,
  // Fails with a named error, as the Gorggle handlers do (errors.ts).
  fail: `class UploadRejectedError extends Error { name = 'UploadRejectedError'; }
  export const handler = async (event) => { throw new UploadRejectedError('rejected ' + JSON.stringify(event)); };`,
  // Never answers: only the timeout ends it.
  hang: `export const handler = () => new Promise(() => setInterval(() => {}, 1000));`,
  // Counts its invocations in module state: a warm environment keeps counting. Hangs on {hang: true};
  // {holdMs} keeps it busy that long, so two invocations surely overlap.
  count: `let invocations = 0;
  export const handler = async (event) => {
    invocations += 1;
    if (event.hang) await new Promise(() => setInterval(() => {}, 1000));
    if (event.holdMs) await new Promise((resolve) => setTimeout(resolve, event.holdMs));
    return { invocations };
  };`,
  // Reports whether the zip's script kept its executable bit.
  mode: `import { statSync } from 'node:fs';
  export const handler = async () => ({ mode: statSync(new URL('./bin/tool.sh', import.meta.url)).mode & 0o777 });`,
};

export interface TestFunctions {
  functionsDir: string;
  workDir: string;
  lookup(name: string): FunctionDefinition | undefined;
}

/** Writes <name>.zip for each test function into a fresh temp dir. */
export async function buildTestFunctions(
  options: { timeoutSeconds?: Record<string, number>; env?: Record<string, Record<string, string>> } = {},
): Promise<TestFunctions> {
  const workDir = mkdtempSync(path.join(tmpdir(), 'gorggle-lambda-test-'));
  const functionsDir = path.join(workDir, 'functions');
  const sources = path.join(workDir, 'sources');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(functionsDir, { recursive: true });
  mkdirSync(sources, { recursive: true });
  const tool = path.join(sources, 'tool.sh');
  writeFileSync(tool, '#!/bin/sh\necho ok\n');
  for (const [name, code] of Object.entries(TEST_FUNCTIONS)) {
    const source = path.join(sources, `${name}.mjs`);
    writeFileSync(source, code);
    await writeDeterministicZip(path.join(functionsDir, `${name}.zip`), [
      { zipPath: 'index.mjs', source, mode: 0o644 },
      ...(name === 'mode' ? [{ zipPath: 'bin/tool.sh', source: tool, mode: 0o755 }] : []),
    ]);
  }
  return {
    functionsDir,
    workDir,
    lookup: (name) =>
      TEST_FUNCTIONS[name] === undefined
        ? undefined
        : {
            name,
            qualifiedName: `test-${name}`,
            arn: `arn:aws:lambda:us-east-1:000000000000:function:test-${name}`,
            timeoutSeconds: options.timeoutSeconds?.[name] ?? 10,
            memoryMb: 256,
            environment: (taskRoot) => ({ LAMBDA_TASK_ROOT: taskRoot, ...options.env?.[name] }),
          },
  };
}
