/**
 * What `make deploy` and `make destroy` need from the outside world: Terraform in terraform/,
 * make, a yes/no question on the terminal, and output. The tests give fakes.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { REPO_ROOT } from '../build/functions';
import {
  findProviderMirror,
  findTerraform,
  INSTALL_ADVICE,
  runTerraform,
  TerraformMissingError,
  terraformEnvironment,
} from './terraform-cli';

export interface StackTools {
  /** Runs terraform in terraform/; `capture` returns its stdout instead of printing it. */
  terraform(args: readonly string[], options?: { capture?: boolean; input?: string }): Promise<string>;
  make(target: string): Promise<void>;
  /** Asks on the terminal; true only for the exact `expected` answer. */
  confirm(question: string, expected: string): Promise<boolean>;
  print(line: string): void;
}

/** The plan file of make deploy, under the checkout's tool folder. */
export const PLAN_FILE = path.join(REPO_ROOT, '.gorggle', 'terraform', 'deploy.tfplan');

/**
 * Extra Terraform arguments from TF_ARGS (e.g. TF_ARGS='-var-file=prod.tfvars'); settings
 * normally live in terraform/terraform.tfvars, which Terraform reads by itself.
 */
export function variableArguments(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.TF_ARGS ?? '').split(/\s+/).filter(Boolean);
}

/** The real tools: Terraform with the deploy environment (a local provider mirror if any). */
export function realStackTools(): StackTools {
  if (!findTerraform()) throw new TerraformMissingError(`terraform is not on PATH. ${INSTALL_ADVICE}`);
  // Unlike the checks, a deploy uses the module's own .terraform and any configured backend.
  const env = { ...terraformEnvironment(findProviderMirror()), TF_DATA_DIR: undefined };
  delete env.TF_DATA_DIR;
  return {
    terraform: (args, options = {}) =>
      runTerraform(args, {
        env,
        capture: options.capture,
        input: options.input,
        interactive: !options.capture && options.input === undefined,
      }),
    make: (target) =>
      new Promise((resolve, reject) => {
        const child = spawn('make', [target], { cwd: REPO_ROOT, stdio: 'inherit' });
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`make ${target} exited with ${code}`))));
      }),
    async confirm(question, expected) {
      if (!process.stdin.isTTY) return false;
      const prompt = createInterface({ input: process.stdin, output: process.stdout });
      try {
        return (await prompt.question(question)).trim() === expected;
      } finally {
        prompt.close();
      }
    },
    print: (line) => console.log(line),
  };
}

/** Runs a make entry point: prints a failure's message without a stack and exits non-zero. */
export function runMain(main: () => Promise<unknown>, label: string): void {
  main().catch((error: unknown) => {
    console.error(`${label}: ${(error as Error).message}`);
    process.exit(1);
  });
}
