import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { SfnExecutionStarter, executionArnFor } from '../../../functions/lib/adapters/sfn-execution-starter';

const sfn = mockClient(SFNClient);
const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:gorggle';
const starter = new SfnExecutionStarter(new SFNClient({}), STATE_MACHINE_ARN);

beforeEach(() => sfn.reset());

describe('SfnExecutionStarter', () => {
  it('starts an execution with the given name and JSON input', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE_ARN}-exec`, startDate: new Date() });

    // Act
    const started = await starter.start('job1', { jobId: 'job1' });

    // Assess
    expect(started).toEqual({ executionArn: `${STATE_MACHINE_ARN}-exec`, alreadyStarted: false });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE_ARN,
      name: 'job1',
      input: '{"jobId":"job1"}',
    });
  });

  it('answers with the existing execution when the name is taken', async () => {
    // Prepare
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

    // Act
    const started = await starter.start('job1', {});

    // Assess
    expect(started).toEqual({
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:gorggle:job1',
      alreadyStarted: true,
    });
  });

  it('lets other errors through for SQS to retry', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    // Act
    const result = starter.start('job1', {});

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  it('builds execution ARNs in every partition', () => {
    expect(executionArnFor('arn:aws-cn:states:cn-north-1:1:stateMachine:sm', 'x')).toBe(
      'arn:aws-cn:states:cn-north-1:1:execution:sm:x',
    );
  });
});
