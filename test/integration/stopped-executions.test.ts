/**
 * Executions that end without any Catch running, on the local stack: one that times out and
 * one that is stopped. EventBridge (the stack's rules, read from terraform/) hands their status
 * change to RecordFailure, so their jobs end FAILED with a reason instead of RUNNING forever.
 * The stack's Wait states last long and its executions time out after a few seconds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { JobRecord } from '../../functions/lib/contracts/job';
import { GorggleClient } from '../../scripts/gorggle-cli/gorggle-client';
import { targetForStack } from '../../scripts/gorggle-cli/target';
import { startLocalStack, type LocalStack } from '../../scripts/local-stack/stack';
import { localStackArtefacts, requireBuilt } from '../support/built-artifacts';
import { GRID_DIR, gridAvailable } from '../support/paths';

const hasGrid = gridAvailable();

requireBuilt(await localStackArtefacts());
if (!hasGrid) console.warn('test/integration/stopped-executions skipped: needs ../shared/fixtures/grid.');

const SECONDS = 1000;
const EXECUTION_TIMEOUT_SECONDS = 8;

(hasGrid ? describe : describe.skip)('executions that stop without a Catch', () => {
  let stack: LocalStack;
  let client: GorggleClient;
  let dataDir: string;

  /** The row once RecordFailure has had its say (EventBridge delivers after the execution ends). */
  const failedRow = async (jobId: string): Promise<JobRecord | undefined> => {
    const deadline = Date.now() + 60 * SECONDS;
    let job = await client.getJob(jobId);
    while (job?.status !== 'FAILED' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      job = await client.getJob(jobId);
    }
    return job;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'gorggle-stopped-'));
    stack = await startLocalStack({
      ports: 'random',
      dataDir,
      // Every polling Wait outlasts the execution's time limit; no lip-reading server is needed.
      waitMs: 120 * SECONDS,
      executionTimeoutSeconds: EXECUTION_TIMEOUT_SECONDS,
      avhubert: false,
    });
    client = new GorggleClient(targetForStack(stack));
  }, 120 * SECONDS);

  afterAll(async () => {
    client?.close();
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 30 * SECONDS);

  it(
    'ends the job of a timed-out execution FAILED with a reason',
    async () => {
      // Act
      const uploaded = await client.upload(path.join(GRID_DIR, 'bbaf2n.mpg'), { key: 'uploads/timed-out/bbaf2n.mpg' });
      await client.waitForJob(uploaded.jobId, { timeoutMs: 90 * SECONDS });
      const job = await failedRow(uploaded.jobId);
      const execution = stack.sfn.describeExecution({ executionArn: job?.executionArn });

      // Assess
      expect(execution.status).toBe('TIMED_OUT');
      expect(job).toMatchObject({
        status: 'FAILED',
        error: {
          name: 'ExecutionTimedOut',
          message: expect.stringMatching(/ran longer than its time limit.*shorter video/),
        },
      });
    },
    120 * SECONDS,
  );

  it(
    'ends the job of a stopped execution FAILED with a reason',
    async () => {
      // Prepare
      const uploaded = await client.upload(path.join(GRID_DIR, 'lbax4n.mpg'), { key: 'uploads/aborted/lbax4n.mpg' });
      let job = await client.getJob(uploaded.jobId);
      for (let tries = 0; !job?.executionArn && tries < 120; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        job = await client.getJob(uploaded.jobId);
      }

      // Act
      await client.clients.sfn.send(
        new StopExecutionCommand({ executionArn: job?.executionArn, cause: 'stopped by the integration test' }),
      );
      const failed = await failedRow(uploaded.jobId);

      // Assess
      expect(failed).toMatchObject({
        status: 'FAILED',
        error: {
          name: 'ExecutionAborted',
          message: expect.stringMatching(
            /stopped before it finished.*: stopped by the integration test\. Upload the video again/,
          ),
        },
      });
    },
    120 * SECONDS,
  );
});
