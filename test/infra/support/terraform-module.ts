import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { REPO_ROOT } from '../../../scripts/build/functions';

export const TERRAFORM_DIR = path.join(REPO_ROOT, 'terraform');

/** One HCL block as hcl2json gives it: attributes as values, expressions as "${...}" strings. */
export type Block = Record<string, unknown>;

/** Every *.tf file of a module, merged: resource/data by type and name, locals flattened. */
export interface TerraformModule {
  resource: Record<string, Record<string, Block[]>>;
  data: Record<string, Record<string, Block[]>>;
  variable: Record<string, Block[]>;
  output: Record<string, Block[]>;
  locals: Record<string, unknown>;
}

type Parsed = Partial<{
  resource: Record<string, Record<string, Block[]>>;
  data: Record<string, Record<string, Block[]>>;
  variable: Record<string, Block[]>;
  output: Record<string, Block[]>;
  locals: Array<Record<string, unknown>>;
}>;

function mergeTyped(target: Record<string, Record<string, Block[]>>, source: Parsed['resource']) {
  for (const [type, byName] of Object.entries(source ?? {})) {
    target[type] ??= {};
    for (const [name, blocks] of Object.entries(byName)) {
      (target[type][name] ??= []).push(...blocks);
    }
  }
}

function mergeNamed(target: Record<string, Block[]>, source: Record<string, Block[]> | undefined) {
  for (const [name, blocks] of Object.entries(source ?? {})) (target[name] ??= []).push(...blocks);
}

export async function loadTerraformModule(dir = TERRAFORM_DIR): Promise<TerraformModule> {
  const module: TerraformModule = { resource: {}, data: {}, variable: {}, output: {}, locals: {} };
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.tf'))
    .sort();
  for (const file of files) {
    const parsed = (await parse(file, readFileSync(path.join(dir, file), 'utf8'))) as Parsed;
    mergeTyped(module.resource, parsed.resource);
    mergeTyped(module.data, parsed.data);
    mergeNamed(module.variable, parsed.variable);
    mergeNamed(module.output, parsed.output);
    for (const locals of parsed.locals ?? []) {
      for (const [name, value] of Object.entries(locals)) {
        if (name in module.locals) throw new Error(`local.${name} is defined twice in ${dir}`);
        module.locals[name] = value;
      }
    }
  }
  return module;
}

/** The first block of a resource or data source, or undefined. */
export function firstBlock(blocks: Record<string, Block[]> | undefined, name: string): Block | undefined {
  return blocks?.[name]?.[0];
}

export const asRecord = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

export const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Terraform resource names use underscores where function names use hyphens. */
export const terraformName = (functionName: string) => functionName.replaceAll('-', '_');

/** A deep copy to break on purpose in negative tests. */
export const cloneModule = (module: TerraformModule): TerraformModule => structuredClone(module);
