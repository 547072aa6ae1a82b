/**
 * `make test`'s Terraform checks: init from the local provider mirror (or the registry),
 * fmt -check, validate, the facts the tests read, then `terraform test` (terraform/tests/).
 * Without Terraform it says so and how to install it, and fails only in CI (CI=true).
 *
 *   tsx test/terraform/check.ts [-- <terraform test arguments, e.g. -filter=tests/x.tftest.hcl>]
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
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

/** Provider versions the constraint in versions.tf must admit, and ones it must refuse. */
export const PROVIDER_VERSIONS = { admitted: ['5.100.0', '6.0.0', '6.99.0'], refused: ['5.99.0', '7.0.0'] } as const;

/**
 * Whether `terraform init` of versions.tf alone accepts each provider version, offered by a
 * mirror holding only that version (an empty stand-in: init selects, it does not run it).
 */
export function providerConstraintProblems(env: NodeJS.ProcessEnv): string[] {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'gorggle-tf-constraint-'));
  const platform = `${os.platform()}_${os.arch() === 'x64' ? 'amd64' : os.arch()}`;
  try {
    const problems: string[] = [];
    for (const version of [...PROVIDER_VERSIONS.admitted, ...PROVIDER_VERSIONS.refused]) {
      const work = path.join(scratch, version);
      const providerDir = path.join(work, 'mirror', 'registry.terraform.io', 'hashicorp', 'aws', version, platform);
      mkdirSync(providerDir, { recursive: true });
      writeFileSync(path.join(providerDir, `terraform-provider-aws_v${version}_x5`), '');
      mkdirSync(path.join(work, 'module'));
      copyFileSync(path.join(TERRAFORM_DIR, 'versions.tf'), path.join(work, 'module', 'versions.tf'));
      const config = path.join(work, 'cli.tfrc');
      writeFileSync(
        config,
        `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(path.join(work, 'mirror'))}\n  }\n}\n`,
      );
      const init = spawnSync('terraform', ['init', '-backend=false', '-input=false', '-no-color'], {
        cwd: path.join(work, 'module'),
        env: { ...env, TF_CLI_CONFIG_FILE: config, TF_DATA_DIR: path.join(work, 'data') },
        encoding: 'utf8',
      });
      const admitted = init.status === 0;
      const expected = (PROVIDER_VERSIONS.admitted as readonly string[]).includes(version);
      if (admitted !== expected) {
        problems.push(
          `versions.tf ${admitted ? 'admits' : 'refuses'} hashicorp/aws ${version}, which it should ${expected ? 'admit' : 'refuse'}`,
        );
      }
    }
    return problems;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

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
  const constraint = providerConstraintProblems(tfEnv);
  if (constraint.length) throw new Error(constraint.join('; '));
  console.log(
    `terraform checks: versions.tf admits hashicorp/aws ${PROVIDER_VERSIONS.admitted.join(', ')} and refuses ${PROVIDER_VERSIONS.refused.join(', ')}`,
  );
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
