import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { branchStateSchema } from '../../../functions/lib/contracts/pipeline';
import { lambdaContext, sampleEvent, setBranchEnv, stageUpdates } from '../branches/support';

// What Terraform sets with enable_lipreading = false: no group, no endpoint.
setBranchEnv({ LIPREADING_ENABLED: 'false', AVHUBERT_ENDPOINT: '', AVHUBERT_ASG_NAME: 'gorggle-avhubert' });

const { handler } = await import('../../../functions/invoke-lipreading/handler');

const autoScaling = mockClient(AutoScalingClient);
const ec2 = mockClient(EC2Client);
const dynamodb = mockClient(DynamoDBClient);

beforeEach(() => {
  for (const client of [autoScaling, ec2, dynamodb]) client.reset();
  dynamodb.on(UpdateItemCommand).resolves({});
});

describe('invoke-lipreading with lip reading turned off', () => {
  it('skips the branch at once with the reason, touching no GPU', async () => {
    // Act
    const state = branchStateSchema.parse(
      await handler(sampleEvent('invoke-lipreading', 'start.json'), lambdaContext('gorggle-invoke-lipreading')),
    );

    // Assess
    expect(state).toMatchObject({
      status: 'skipped',
      reason:
        'lip reading is turned off for this deployment (set enable_lipreading = true in terraform/ to turn it on)',
    });
    expect(autoScaling.calls()).toHaveLength(0);
    expect(ec2.calls()).toHaveLength(0);
    expect(stageUpdates(dynamodb)[0]!.record).toMatchObject({ status: 'skipped', facts: { reason: state.reason } });
  });
});
