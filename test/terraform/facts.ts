/**
 * Facts the Terraform tests (terraform/tests/*.tftest.hcl) cannot compute in HCL, written to
 * dist/terraform-facts/facts.json before `terraform test` runs:
 * - each function's configSchema keys (and which have no default), so the tests can hold every
 *   deployed function's environment to its schema;
 * - the state machine as scripts/render-statemachine.ts renders it with the mock provider's
 *   function ARN, and asl-validator's verdict on it, so a test that finds Terraform's rendering
 *   identical proves that Terraform's rendering passes asl-validator.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { COMMON_ENV_KEYS } from '../../functions/lib/config';
import { REPO_ROOT, listFunctions } from '../../scripts/build/functions';
import { loadTerraformFacts } from '../../scripts/local-stack/terraform-facts';
import { renderStateMachine } from '../../scripts/render-statemachine';
import { aslSchemaProblems, type Definition } from '../infra/support/asl-checks';
import { envSchemaFacts, type EnvSchemaFacts } from '../infra/support/env-schemas';

export const TERRAFORM_DIR = path.join(REPO_ROOT, 'terraform');
export const FACTS_FILE = path.join(REPO_ROOT, 'dist', 'terraform-facts', 'facts.json');
/** The ARN terraform/tests/mocks gives every aws_lambda_function. */
export const MOCK_FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:mock';

export interface TerraformTestFacts {
  commonKeys: readonly string[];
  functions: Record<string, EnvSchemaFacts>;
  stateMachine: { functionArn: string; definition: Definition; aslValid: boolean; aslProblems: string[] };
}

export async function computeFacts(): Promise<TerraformTestFacts> {
  const terraform = await loadTerraformFacts(TERRAFORM_DIR);
  const functions: Record<string, EnvSchemaFacts> = {};
  for (const fn of listFunctions()) functions[fn.name] = await envSchemaFacts(fn.name);
  const definition = renderStateMachine({
    functionArn: () => MOCK_FUNCTION_ARN,
    taskTimeoutSeconds: (name) => {
      const fn = terraform.functions[name];
      if (!fn) throw new Error(`the state machine invokes ${name}, which local.lambda_functions does not deploy`);
      return fn.timeoutSeconds + terraform.taskTimeoutMarginSeconds;
    },
  }) as Definition;
  const aslProblems = aslSchemaProblems(definition);
  return {
    commonKeys: COMMON_ENV_KEYS,
    functions,
    stateMachine: { functionArn: MOCK_FUNCTION_ARN, definition, aslValid: aslProblems.length === 0, aslProblems },
  };
}

export async function writeFacts(file = FACTS_FILE): Promise<TerraformTestFacts> {
  const facts = await computeFacts();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(facts, null, 2)}\n`);
  return facts;
}
