/**
 * Runs the module's own `terraform test` files (terraform/tests/*.tftest.hcl) offline: a copy
 * of the module, the AWS provider from the local mirror, mocked AWS. The Lambda zips and the
 * page come from `make build` (dist/).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../support/paths';

const run = promisify(execFile);
const PROVIDER_MIRROR = process.env.TF_PLUGIN_MIRROR ?? '/opt/tf-plugins';
const SECONDS = 1000;

describe('terraform test', () => {
  let workDir: string;

  beforeAll(async () => {
    if (!existsSync(PROVIDER_MIRROR)) {
      throw new Error(
        `No Terraform provider mirror at ${PROVIDER_MIRROR}: set TF_PLUGIN_MIRROR to the folder with hashicorp/aws.`,
      );
    }
    workDir = await mkdtemp(path.join(tmpdir(), 'gorggle-tftest-'));
    await cp(path.join(REPO_ROOT, 'terraform'), path.join(workDir, 'terraform'), {
      recursive: true,
      filter: (source) => !/(^|\/)(\.terraform|[^/]*\.tfstate[^/]*)$/.test(source),
    });
  });

  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it(
    'passes every terraform/tests/*.tftest.hcl against the mocked provider',
    async () => {
      // Prepare
      const chdir = `-chdir=${path.join(workDir, 'terraform')}`;
      const env = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
      await run(
        'terraform',
        [chdir, 'init', '-backend=false', '-input=false', '-no-color', `-plugin-dir=${PROVIDER_MIRROR}`],
        {
          env,
        },
      );

      // Act
      const result = await run(
        'terraform',
        [
          chdir,
          'test',
          '-no-color',
          `-var=functions_dist_dir=${path.join(REPO_ROOT, 'dist', 'functions')}`,
          `-var=web_dist_dir=${path.join(REPO_ROOT, 'dist', 'web')}`,
        ],
        { env, maxBuffer: 16 * 1024 * 1024 },
      ).catch((error: { stdout?: string; stderr?: string }) => ({
        stdout: error.stdout ?? '',
        stderr: error.stderr ?? '',
      }));

      // Assess
      expect(`${result.stdout}\n${result.stderr}`).toMatch(/Success! [1-9]\d* passed, 0 failed\./);
    },
    240 * SECONDS,
  );
});
