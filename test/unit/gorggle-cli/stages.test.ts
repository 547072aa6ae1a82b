import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { completedFraction, stageOfState, stageProgress, stageSeconds } from '../../../scripts/gorggle-cli/stages';

/** A history in GetExecutionHistory's shape, one second per event. */
function history(entries: Array<[type: string, name?: string, output?: unknown]>): HistoryEvent[] {
  const start = Date.parse('2026-01-01T00:00:00Z');
  return entries.map(([type, name, output], index) => {
    const event: HistoryEvent = {
      id: index + 1,
      previousEventId: index,
      timestamp: new Date(start + index * 1000),
      type: type as HistoryEvent['type'],
    };
    if (type.endsWith('StateEntered')) event.stateEnteredEventDetails = { name: name ?? '' };
    if (type.endsWith('StateExited')) {
      event.stateExitedEventDetails = { name: name ?? '', ...(output ? { output: JSON.stringify(output) } : {}) };
    }
    return event;
  });
}

describe('stageProgress', () => {
  it('follows extract, the three polling branches and fuse to their end, counting checks', () => {
    // Prepare
    const events = history([
      ['ExecutionStarted'],
      ['TaskStateEntered', 'ExtractMedia'],
      ['TaskStateExited', 'ExtractMedia'],
      ['ParallelStateEntered', 'Analyse'],
      ['TaskStateEntered', 'StartTranscription'],
      ['TaskStateEntered', 'StartFaceDetection'],
      ['TaskStateEntered', 'StartLipReading'],
      ['TaskStateEntered', 'CheckTranscription'],
      ['TaskStateEntered', 'CheckTranscription'],
      ['PassStateExited', 'TranscriptionFinished', { modality: 'transcribe', status: 'succeeded' }],
      ['PassStateExited', 'FaceDetectionFinished', { modality: 'faces', status: 'skipped' }],
      [
        'PassStateExited',
        'LipReadingFailedWithCause',
        { modality: 'lipreading', status: 'failed', error: { name: 'LipReadingUnavailableError', message: 'down' } },
      ],
      ['TaskStateEntered', 'Fuse'],
    ]);

    // Act
    const stages = stageProgress(events);

    // Assess
    expect(stages.map(({ stage, status, checks }) => ({ stage, status, checks }))).toEqual([
      { stage: 'extract', status: 'succeeded', checks: 0 },
      { stage: 'transcribe', status: 'succeeded', checks: 2 },
      { stage: 'faces', status: 'skipped', checks: 0 },
      { stage: 'lipreading', status: 'failed', checks: 0 },
      { stage: 'fuse', status: 'running', checks: 0 },
    ]);
    expect(stages[3]?.error).toBe('LipReadingUnavailableError: down');
    expect(stageSeconds(stages[0]!)).toBe(1);
    expect(stageSeconds(stages[1]!)).toBe(5);
    expect(completedFraction(stages)).toBeCloseTo(4.5 / 5);
  });

  it('marks what was running as failed when the execution fails', () => {
    // Prepare
    const events = history([
      ['ExecutionStarted'],
      ['TaskStateEntered', 'ExtractMedia'],
      ['TaskStateEntered', 'RecordFailure'],
      ['ExecutionFailed'],
    ]);

    // Act
    const stages = stageProgress(events);

    // Assess
    expect(stages.map((stage) => stage.status)).toEqual(['failed', 'pending', 'pending', 'pending', 'pending']);
    expect(completedFraction(stages)).toBeCloseTo(1 / 5);
    expect(stageSeconds(stages[1]!)).toBeUndefined();
  });

  it('shows extraction failed when its Catch led on to RecordFailure, and succeeded when a retry passed', () => {
    // Prepare: the failed Lambda attempt, then the state exits through its Catch
    const failed = history([
      ['ExecutionStarted'],
      ['TaskStateEntered', 'ExtractMedia'],
      ['LambdaFunctionScheduled'],
      ['LambdaFunctionFailed'],
      ['TaskStateExited', 'ExtractMedia'],
      ['TaskStateEntered', 'RecordFailure'],
      ['TaskStateExited', 'RecordFailure'],
      ['FailStateEntered', 'Failed'],
      ['ExecutionFailed'],
    ]);
    failed[3]!.lambdaFunctionFailedEventDetails = {
      error: 'UnsupportedMediaError',
      cause: JSON.stringify({ errorType: 'UnsupportedMediaError', errorMessage: 'The file is empty (0 bytes).' }),
    };
    const retried = history([
      ['ExecutionStarted'],
      ['TaskStateEntered', 'ExtractMedia'],
      ['LambdaFunctionFailed'],
      ['LambdaFunctionSucceeded'],
      ['TaskStateExited', 'ExtractMedia'],
    ]);

    // Act
    const [extract] = stageProgress(failed);
    const [extractRetried] = stageProgress(retried);

    // Assess
    expect(extract).toMatchObject({ status: 'failed', error: 'UnsupportedMediaError: The file is empty (0 bytes).' });
    expect(extractRetried?.status).toBe('succeeded');
  });

  it('maps state names of the state machine to stages', () => {
    expect(
      ['WaitForFaceDetection', 'LipReadingTimedOut', 'CheckTranscription', 'Fuse', 'Done'].map(stageOfState),
    ).toEqual(['faces', 'lipreading', 'transcribe', 'fuse', undefined]);
  });
});
