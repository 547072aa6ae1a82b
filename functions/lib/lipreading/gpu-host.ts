import type { S3Ref } from '../contracts/common';
import { ConfigurationError } from '../errors';
import type { Clock, GpuGroup, LipReadingHost, LipReadingHostState, ObjectStore } from '../ports';

export interface GpuLipReadingHostOptions {
  group: GpuGroup;
  /** The server's port on the instance. */
  port: number;
  clock: Clock;
  /** The model package's manifest.json: while it is missing the GPU is not woken at all. */
  model?: { store: ObjectStore; manifest: S3Ref };
}

/** Launch failures that waiting will not cure, and what to do about them. */
const LAUNCH_ADVICE: Array<{ pattern: RegExp; advice: string }> = [
  {
    pattern: /vcpu|VcpuLimitExceeded|quota|limit of 0/i,
    advice:
      'Ask AWS for a "Running On-Demand G and VT instances" quota of at least 4 vCPUs in this region ' +
      '(Service Quotas console), or set enable_lipreading = false.',
  },
  {
    pattern: /InsufficientInstanceCapacity|insufficient capacity|do not have sufficient/i,
    advice: 'AWS has no spare GPU capacity in these zones right now; later jobs try again.',
  },
  {
    pattern: /Unsupported|not supported/i,
    advice: 'Choose an avhubert_instance_type that these zones offer, or other subnets.',
  },
];

const MAX_REASON_LENGTH = 600;

/** The reason a job's lip reading is skipped when the GPU instance cannot launch. */
export function launchFailureReason(message: string): string {
  const advice = LAUNCH_ADVICE.find((entry) => entry.pattern.test(message))?.advice;
  const reason = `the lip-reading GPU instance could not be launched: ${message.trim()}`;
  return (advice ? `${reason} ${advice}` : reason).slice(0, MAX_REASON_LENGTH);
}

const inService = (lifecycleState: string) => (lifecycleState === 'InService' ? 0 : 1);

/**
 * Lip reading on the Auto Scaling group's GPU instance, launched on demand. Every call marks
 * the group busy, so the idle stopper leaves it running while jobs need it; a group with no
 * instance is scaled to one; a launch that failed (quota, capacity) makes lip reading
 * unavailable with AWS's reason at once, instead of after the whole warm-up.
 */
export function gpuLipReadingHost(options: GpuLipReadingHostOptions): LipReadingHost {
  const { group, model } = options;

  return {
    async ensureRunning(): Promise<LipReadingHostState> {
      if (model && !(await model.store.head(model.manifest))) {
        return {
          state: 'unavailable',
          reason:
            `no lip-reading model is uploaded (s3://${model.manifest.bucket}/${model.manifest.key} is missing): ` +
            'run make model-upload MODEL_DIR=<model package folder>',
        };
      }
      const state = await group.read();
      if (!state) {
        throw new ConfigurationError(
          `The lip-reading Auto Scaling group ${group.name} does not exist. Apply terraform/ with enable_lipreading = true, or set AVHUBERT_ENDPOINT to a running lip-reading server.`,
        );
      }
      await group.markBusy(options.clock.now());

      const [instance] = [...state.instances].sort((a, b) => inService(a.lifecycleState) - inService(b.lifecycleState));
      if (!instance) {
        if (state.desiredCapacity < 1) {
          await group.scaleTo(1);
          return { state: 'warming', detail: `${state.name} was idle and is launching the GPU instance` };
        }
        const failure = await group.launchFailure();
        if (failure) return { state: 'unavailable', reason: launchFailureReason(failure) };
        return { state: 'warming', detail: `${state.name} is launching the GPU instance` };
      }

      const { state: instanceState, privateIp } = await group.describeInstance(instance.id);
      if (instanceState === 'running' && privateIp) {
        return { state: 'ready', endpoint: `http://${privateIp}:${options.port}` };
      }
      return {
        state: 'warming',
        detail: `${instance.id} is ${instanceState} (${instance.lifecycleState})${privateIp ? '' : ', no private address yet'}`,
      };
    },
  };
}

/** Why lip reading is skipped when the deployment has no GPU server. */
export const LIPREADING_DISABLED_REASON =
  'lip reading is turned off for this deployment (set enable_lipreading = true in terraform/ to turn it on)';

/** A host that is never there, e.g. lip reading turned off for the deployment. */
export function unavailableLipReadingHost(reason: string): LipReadingHost {
  return { ensureRunning: async () => ({ state: 'unavailable', reason }) };
}
