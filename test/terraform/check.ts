/**
 * `make test`'s Terraform checks: init from the local provider mirror (or the registry),
 * fmt -check, validate, the facts the tests read, then `terraform test` (terraform/tests/).
 * Without Terraform it says so and how to install it, and fails only in CI (CI=true).
 *
 *   tsx test/terraform/check.ts [-- <terraform test arguments, e.g. -filter=tests/x.tftest.hcl>]
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  INSTALL_ADVICE,
  TERRAFORM_DIR,
  findProviderMirror,
  findTerraform,
  initForChecks,
  runTerraform,
  terraformEnvironment,
} from '../../scripts/deploy/terraform-cli';
import { FACTS_FILE, writeFacts } from './facts';

const isCi = (env: NodeJS.ProcessEnv) => ['true', '1'].includes((env.CI ?? '').toLowerCase());

export async function checkTerraform(testArgs: readonly string[] = [], env = process.env): Promise<number> {
  const terraform = findTerraform(env);
  if (!terraform) {
    if (isCi(env)) {
      console.error(
        `terraform checks: FAILED: terraform is not on PATH, and CI must run these checks. ${INSTALL_ADVICE}`,
      );
      return 1;
    }
    console.warn(
      `\nterraform checks: SKIPPED: terraform is not on PATH, so fmt, validate and the mocked applies in terraform/tests did not run. ${INSTALL_ADVICE}\n`,
    );
    return 0;
  }
  const mirror = findProviderMirror(env);
  console.log(
    `terraform checks: Terraform ${terraform.version}, hashicorp/aws from ${mirror ?? 'the registry (no local mirror found; TF_PROVIDER_MIRROR names one)'}`,
  );
  const tfEnv = terraformEnvironment(mirror);
  await initForChecks(tfEnv);
  await runTerraform(['fmt', '-check', '-recursive', '-diff'], { env: tfEnv });
  await runTerraform(['validate', '-no-color'], { env: tfEnv });
  const facts = await writeFacts();
  if (!facts.stateMachine.aslValid) {
    console.error(
      `terraform checks: asl-validator rejects the state machine: ${facts.stateMachine.aslProblems.join('; ')}`,
    );
  }
  console.log(`terraform checks: facts for the tests in ${path.relative(process.cwd(), FACTS_FILE)}`);
  await runTerraform(['test', '-no-color', ...testArgs], { env: tfEnv, cwd: TERRAFORM_DIR });
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2).filter((arg) => arg !== '--');
  checkTerraform(args)
    .then((code) => process.exit(code))
    .catch((error: unknown) => {
      console.error(`terraform checks: ${(error as Error).message}`);
      process.exit(1);
    });
}
