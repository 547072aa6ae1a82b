import type { Context } from 'aws-lambda';
import * as z from 'zod';

// The function's own name is its service name; set before the logger module loads.
process.env.AWS_LAMBDA_FUNCTION_NAME = 'gorggle-transcribe';
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
delete process.env.POWERTOOLS_SERVICE_NAME;

/** Powertools writes JSON lines to stdout, and errors to stderr. */
const lines: string[] = [];
const streams = [process.stdout, process.stderr] as const;
const writes = streams.map((stream) => stream.write);
streams.forEach((stream, index) => {
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = String(chunk);
    if (text.startsWith('{')) lines.push(...text.trim().split('\n'));
    else return (writes[index] as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
    return true;
  }) as typeof stream.write;
});

const { logger } = await import('../../../functions/lib/logger');
const { taskHandler } = await import('../../../functions/lib/middleware/task-handler');

const context = {
  functionName: 'gorggle-transcribe',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

afterAll(() => {
  streams.forEach((stream, index) => {
    stream.write = writes[index]!;
  });
});

describe('task logs', () => {
  it("carry the function's name as service and the jobId on every line, the failure's included", async () => {
    // Prepare
    const handler = taskHandler(z.object({ job: z.object({ jobId: z.string() }) }), async (event) => {
      logger.info('working on it');
      if (event.job.jobId === 'job-2') throw new Error('broke');
      return 'done';
    });

    // Act
    await handler({ job: { jobId: 'job-1' } }, context);
    await handler({ job: { jobId: 'job-2' } }, context).catch(() => undefined);
    await handler({ nonsense: true }, context).catch(() => undefined);

    // Assess
    const logged = lines.map((line) => JSON.parse(line) as { service: string; message: string; jobId?: string });
    expect(logged.map(({ service, message, jobId }) => ({ service, message, jobId }))).toEqual([
      { service: 'gorggle-transcribe', message: 'working on it', jobId: 'job-1' },
      { service: 'gorggle-transcribe', message: 'working on it', jobId: 'job-2' },
      { service: 'gorggle-transcribe', message: 'task failed', jobId: 'job-2' },
      // An event without a job: no jobId left over from the invocation before.
      { service: 'gorggle-transcribe', message: 'task failed', jobId: undefined },
    ]);
  });
});
