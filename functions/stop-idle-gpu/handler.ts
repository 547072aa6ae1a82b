import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { AutoScalingGpuGroup, autoScalingClient, ec2Client } from '../lib/adapters/autoscaling-gpu-group';
import { lazyConfig } from '../lib/config';
import { stopIdleGpu, type IdleStopDecision } from '../lib/lipreading/idle-stop';
import { logger } from '../lib/logger';
import { namedErrors } from '../lib/middleware/named-errors';
import { systemClock } from '../lib/ports';
import { configSchema } from './config';

const config = lazyConfig(configSchema);

/**
 * Runs on a schedule (EventBridge, every few minutes) and scales the lip-reading GPU group to
 * zero once no job has needed it for IDLE_MINUTES. It never asks the server anything, so a
 * crashed or hung server is stopped all the same. The scheduled event carries nothing it needs.
 */
export const handler = middy<unknown, IdleStopDecision>()
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(namedErrors({ logger }))
  .handler(async () => {
    const settings = config();
    const group = new AutoScalingGpuGroup(
      { autoScaling: autoScalingClient(), ec2: ec2Client() },
      settings.AVHUBERT_ASG_NAME,
    );
    const decision = await stopIdleGpu(group, { idleMinutes: settings.IDLE_MINUTES, clock: systemClock });
    logger.info(`lip-reading GPU ${decision.action}: ${decision.reason}`, { ...decision, group: group.name });
    return decision;
  });
