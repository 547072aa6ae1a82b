import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './paths';

/**
 * Tests that need the build (Lambda zips, the addon, the test models) fail when it is
 * missing instead of skipping: `make test` builds first, so a missing artefact is a bug
 * that a skip would hide. Only fixtures that live outside the repository may be absent.
 */
export function requireBuilt(artefacts: Record<string, boolean>): void {
  const missing = Object.entries(artefacts)
    .filter(([, present]) => !present)
    .map(([name]) => name);
  if (missing.length) {
    throw new Error(`Missing ${missing.join(', ')}: run \`make build native models\` (make test does this first).`);
  }
}

/** What the local stack runs: every Lambda zip Terraform deploys, the test model, the addon. */
export async function localStackArtefacts(): Promise<Record<string, boolean>> {
  const [{ TEST_MODEL_DIR }, { functionsBuilt }, { loadTerraformFacts }] = await Promise.all([
    import('../../scripts/local-stack/avhubert'),
    import('../../scripts/local-stack/stack'),
    import('../../scripts/local-stack/terraform-facts'),
  ]);
  const functions = Object.keys((await loadTerraformFacts(path.join(REPO_ROOT, 'terraform'))).functions);
  return {
    'the Lambda zips': functionsBuilt(path.join(REPO_ROOT, 'dist', 'functions'), functions),
    'the test model': existsSync(path.join(TEST_MODEL_DIR, 'manifest.json')),
    'the libtorch addon': existsSync(
      path.join(REPO_ROOT, 'ec2-avhubert', 'native', 'build', 'Release', 'gorggle_torch.node'),
    ),
  };
}
