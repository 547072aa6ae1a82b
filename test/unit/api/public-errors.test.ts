import { summariseExecution } from '../../../functions/lib/api/execution';
import { INTERNAL_ERROR_MESSAGE, publicErrorInfo, redactInternals } from '../../../functions/lib/api/public-errors';
import { toJobView } from '../../../functions/lib/api/views';
import type { JobRecord } from '../../../functions/lib/contracts/job';

const ACCESS_DENIED =
  'User: arn:aws:sts::123456789012:assumed-role/gorggle-extract/gorggle-extract is not authorized to perform: ' +
  's3:GetObject on resource: "arn:aws:s3:::gorggle-uploads-123456789012-eu-west-1/uploads/talk.mp4"';

function job(overrides: Partial<JobRecord>): JobRecord {
  return {
    jobId: 'job1',
    status: 'FAILED',
    kind: 'upload',
    source: { bucket: 'gorggle-uploads-123456789012-eu-west-1', key: 'uploads/talk.mp4', etag: 'e', size: 1 },
    stages: {},
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  } as JobRecord;
}

describe('errors the API shows users', () => {
  it('shows an internal failure by name only, without the role, account or bucket', () => {
    // Act
    const view = toJobView(
      job({
        error: { name: 'AccessDenied', message: ACCESS_DENIED },
        stages: { extract: { status: 'failed', error: { name: 'AccessDenied', message: ACCESS_DENIED } } },
      }),
    );

    // Assess
    expect(view.error).toEqual({ name: 'AccessDenied', message: INTERNAL_ERROR_MESSAGE });
    expect(view.stages.find((stage) => stage.stage === 'extract')?.error?.message).toBe(INTERNAL_ERROR_MESSAGE);
    expect(JSON.stringify(view.error)).not.toMatch(/123456789012|arn:aws|gorggle-extract/);
  });

  it('keeps what our own errors tell the user, with the deployment taken out', () => {
    // Act
    const shown = publicErrorInfo({
      name: 'LipReadingUnavailableError',
      message: 'The lip-reading server at http://10.0.1.23:8080 did not answer POST /v1/jobs (ECONNREFUSED).',
    });
    const unsupported = publicErrorInfo({
      name: 'UnsupportedMediaError',
      message:
        'The media lasts 5 h, longer than the 1 h this deployment takes. Upload a shorter clip, or split it into parts.',
    });

    // Assess
    expect(shown.message).toBe(
      'The lip-reading server at http://[address] did not answer POST /v1/jobs (ECONNREFUSED).',
    );
    expect(unsupported.message).toMatch(/^The media lasts 5 h, longer than the 1 h/);
  });

  it('takes ARNs, account ids, buckets and addresses out of any text', () => {
    expect(redactInternals(ACCESS_DENIED)).toBe(
      'User: [resource] is not authorized to perform: s3:GetObject on resource: "[resource]"',
    );
    expect(redactInternals('s3://gorggle-processed-123456789012-eu-west-1/jobs/a/result.json')).toBe(
      's3://[bucket]/jobs/a/result.json',
    );
    expect(redactInternals('wrote to gorggle-processed-123456789012-eu-west-1 as 123456789012')).toBe(
      'wrote to [bucket] as [account]',
    );
  });

  it('shows an execution step that failed inside AWS without its cause', () => {
    // Act
    const summary = summariseExecution(
      'arn:aws:states:eu-west-1:123456789012:execution:gorggle-pipeline:job1',
      [
        { id: 1, type: 'ExecutionStarted', timestamp: new Date('2026-01-01T00:00:00Z') },
        {
          id: 2,
          type: 'TaskStateEntered',
          timestamp: new Date('2026-01-01T00:00:01Z'),
          stateEnteredEventDetails: { name: 'ExtractMedia' },
        },
        {
          id: 3,
          type: 'TaskFailed',
          timestamp: new Date('2026-01-01T00:00:02Z'),
          previousEventId: 2,
          taskFailedEventDetails: {
            error: 'AccessDenied',
            cause: JSON.stringify({ errorType: 'AccessDenied', errorMessage: ACCESS_DENIED }),
          },
        },
      ] as never,
      false,
    );

    // Assess
    expect(summary.states[0]?.errors).toEqual([
      { error: 'AccessDenied', cause: INTERNAL_ERROR_MESSAGE, at: '2026-01-01T00:00:02.000Z' },
    ]);
  });
});
