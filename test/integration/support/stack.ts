/** One local stack per integration test file: random ports, its own folders, and a client. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GorggleClient } from '../../../scripts/gorggle-cli/gorggle-client';
import { targetForStack } from '../../../scripts/gorggle-cli/target';
import { startLocalStack, type LocalStack } from '../../../scripts/local-stack/stack';

export interface TestStack {
  stack: LocalStack;
  client: GorggleClient;
  /** The stack's data folder (its lock file, logs, S3 objects). */
  dataDir: string;
  /** Scratch space for the media a test makes. */
  workDir: string;
  stop(): Promise<void>;
}

export async function startTestStack(
  name: string,
  options: { lipReadingTestModel?: boolean } = {},
): Promise<TestStack> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `${name}-stack-`));
  const workDir = mkdtempSync(path.join(tmpdir(), `${name}-media-`));
  const removeFolders = () => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  };
  let stack: LocalStack;
  try {
    stack = await startLocalStack({ ports: 'random', dataDir, ...options });
  } catch (error) {
    removeFolders();
    throw error;
  }
  const client = new GorggleClient(targetForStack(stack));
  return {
    stack,
    client,
    dataDir,
    workDir,
    async stop() {
      client.close();
      await stack.stop();
      removeFolders();
    },
  };
}
