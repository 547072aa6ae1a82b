import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { ExecutionStarter } from '../ports';

let sfn: SFNClient | undefined;

/** One client per bundle; AWS_ENDPOINT_URL_SFN points it at the local engine. */
export function sfnClient(): SFNClient {
  return (sfn ??= new SFNClient({}));
}

/** Starts executions named by the caller, so a repeated start is harmless. */
export class SfnExecutionStarter implements ExecutionStarter {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(name: string, input: unknown): Promise<{ executionArn: string; alreadyStarted: boolean }> {
    try {
      const { executionArn } = await this.sfn.send(
        new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }),
      );
      if (!executionArn) throw new Error(`StartExecution for ${name} returned no executionArn`);
      return { executionArn, alreadyStarted: false };
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') {
        return { executionArn: executionArnFor(this.stateMachineArn, name), alreadyStarted: true };
      }
      throw error;
    }
  }
}

/** arn:aws:states:<region>:<account>:stateMachine:<sm> -> ...:execution:<sm>:<name> */
export function executionArnFor(stateMachineArn: string, executionName: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
}
