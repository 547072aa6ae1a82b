/**
 * `make shellcheck`: shellcheck on every shell script in the checkout (tracked, or new and not
 * ignored), found by its .sh name or its sh/bash/dash shebang. Terraform templates of shell
 * scripts (*.sh.tftpl) are checked as Terraform renders them: each ${name} becomes a plain
 * word and $${ becomes ${, so shellcheck sees the script the instance runs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const SHEBANG = /^#!.*[/ ](ba|da)?sh([ \t]|$)/;
const TEMPLATE_SUFFIX = '.tftpl';

/** The script Terraform's templatefile() would give, with placeholder words for the variables. */
export function renderShellTemplate(text: string, file: string): string {
  if (/(?<!%)%\{/.test(text)) {
    throw new Error(`${file}: template directives (%{...}) are not rendered here; keep shell templates to \${name}.`);
  }
  return text.replace(/(?<!\$)\$\{(\w+)\}/g, 'tf_$1').replaceAll('$${', '${');
}

function isShellScript(file: string): boolean {
  const name = file.endsWith(TEMPLATE_SUFFIX) ? file.slice(0, -TEMPLATE_SUFFIX.length) : file;
  if (name.endsWith('.sh')) return true;
  try {
    return SHEBANG.test(readFileSync(file, 'utf8').split('\n', 1)[0] ?? '');
  } catch {
    return false; // a folder (submodule) or a file deleted but not yet staged
  }
}

function main(): number {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    encoding: 'utf8',
  })
    .split('\0')
    .filter((file) => file && isShellScript(file));
  const scratch = mkdtempSync(path.join(tmpdir(), 'gorggle-shellcheck-'));
  try {
    const checked = files.map((file) => {
      if (!file.endsWith(TEMPLATE_SUFFIX)) return file;
      // Under its own path, so shellcheck's messages still say which template it was.
      const rendered = path.join(scratch, file.slice(0, -TEMPLATE_SUFFIX.length));
      mkdirSync(path.dirname(rendered), { recursive: true });
      writeFileSync(rendered, renderShellTemplate(readFileSync(file, 'utf8'), file));
      return rendered;
    });
    console.log(`shellcheck: ${files.length} scripts (${files.join(', ')})`);
    const run = spawnSync('shellcheck', ['--external-sources', ...checked], { stdio: 'inherit' });
    if (run.error) throw new Error(`Could not run shellcheck (${run.error.message}): run make setup.`);
    return run.status ?? 1;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

process.exitCode = main();
