import { renderStateMachine, type RenderOptions } from '../../../scripts/render-statemachine';
import type { Definition } from './asl-checks';

/** The ARN Terraform would give a function in a sample account and region. */
export const sampleFunctionArn = (functionName: string) =>
  `arn:aws:lambda:eu-west-1:123456789012:function:gorggle-${functionName}`;

/** The definition as Terraform renders it, with sample ARNs and timeouts. */
export function renderSampleDefinition(settings?: RenderOptions['settings']): Definition {
  return renderStateMachine({ functionArn: sampleFunctionArn, taskTimeoutSeconds: () => 45, settings }) as Definition;
}
