import { jest } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findProviderMirror, isProviderMirror, terraformEnvironment } from '../../scripts/deploy/terraform-cli';
import { checkTerraform } from '../terraform/check';

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'gorggle-tf-cli-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

/** An unpacked provider mirror for this platform, as `terraform providers mirror` lays it out. */
function makeMirror(root: string) {
  const platform = `${os.platform()}_${os.arch() === 'x64' ? 'amd64' : os.arch()}`;
  const dir = path.join(root, 'registry.terraform.io', 'hashicorp', 'aws', '5.100.0', platform);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'terraform-provider-aws_v5.100.0_x5'), '');
  return root;
}

describe('finding the AWS provider without the registry', () => {
  it('uses the mirror TF_PROVIDER_MIRROR names, and writes a CLI config that installs from it', () => {
    // Prepare
    const mirror = makeMirror(path.join(scratch, 'plugins'));

    // Act
    const found = findProviderMirror({ TF_PROVIDER_MIRROR: mirror });
    const env = terraformEnvironment(found);

    // Assess
    expect(found).toBe(mirror);
    const config = readFileSync(env.TF_CLI_CONFIG_FILE!, 'utf8');
    expect(config).toContain(`path    = ${JSON.stringify(mirror)}`);
    expect(config).toMatch(/filesystem_mirror \{[^}]*include = \["registry.terraform.io\/hashicorp\/aws"\]/);
    expect(env.TF_DATA_DIR).toMatch(/\.gorggle\/terraform\/data$/);
  });

  it('refuses a TF_PROVIDER_MIRROR that holds no provider, naming the layout it expects', () => {
    expect(() => findProviderMirror({ TF_PROVIDER_MIRROR: scratch })).toThrow(
      /holds no registry.terraform.io\/hashicorp\/aws\/<version>\/<platform> folder/,
    );
    expect(isProviderMirror(scratch)).toBe(false);
  });

  it('takes TF_PLUGIN_MIRROR, the name the earlier test runner read, when TF_PROVIDER_MIRROR is unset', () => {
    // Prepare
    const mirror = makeMirror(path.join(scratch, 'plugin-mirror'));

    // Act, Assess
    expect(findProviderMirror({ TF_PLUGIN_MIRROR: mirror })).toBe(mirror);
    expect(() => findProviderMirror({ TF_PLUGIN_MIRROR: scratch })).toThrow(/^TF_PLUGIN_MIRROR=.* holds no/);
  });

  it('leaves the registry in charge when there is no mirror (no CLI config)', () => {
    expect(terraformEnvironment(undefined).TF_CLI_CONFIG_FILE).toBeUndefined();
  });
});

describe('the Terraform checks without Terraform', () => {
  // A PATH with no terraform on it.
  const noTerraform = () => ({ PATH: scratch });

  it('fail in CI, saying how to install Terraform', async () => {
    // Prepare
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);

    // Act
    const code = await checkTerraform([], { ...noTerraform(), CI: 'true' });

    // Assess
    expect(code).toBe(1);
    expect(errors).toHaveBeenCalledWith(
      expect.stringMatching(/FAILED: terraform is not on PATH.*Install Terraform >= 1\.10/),
    );
    errors.mockRestore();
  });

  it('are skipped elsewhere, and say plainly that they were and how to install Terraform', async () => {
    // Prepare
    const warnings = jest.spyOn(console, 'warn').mockImplementation(() => undefined);

    // Act
    const code = await checkTerraform([], noTerraform());

    // Assess
    expect(code).toBe(0);
    expect(warnings).toHaveBeenCalledWith(
      expect.stringMatching(
        /terraform checks: SKIPPED: terraform is not on PATH, so fmt, validate and the mocked applies .* did not run\. Install Terraform/,
      ),
    );
    warnings.mockRestore();
  });
});
