/**
 * Renders terraform/statemachine.asl.json the way Terraform's templatefile() does, so the
 * local stack and the tests run the very definition that AWS runs.
 *
 * Placeholders: `${<function>_function_arn}` and `${<function>_task_timeout_seconds}` per
 * function (hyphens become underscores), plus the plain settings in SETTING_VARIABLES.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './build/functions';

export const STATE_MACHINE_TEMPLATE_PATH = path.join(REPO_ROOT, 'terraform', 'statemachine.asl.json');

/** Template variables that are not per-function, with the values Terraform defaults them to. */
export const SETTING_VARIABLES = {
  max_poll_attempts: 240,
  execution_timeout_seconds: 10_800,
} as const;

const FUNCTION_ARN_SUFFIX = '_function_arn';
const TASK_TIMEOUT_SUFFIX = '_task_timeout_seconds';

const toIdentifier = (functionName: string) => functionName.replaceAll('-', '_');
const toFunctionName = (identifier: string) => identifier.replaceAll('_', '-');

export const functionArnVariable = (functionName: string) => `${toIdentifier(functionName)}${FUNCTION_ARN_SUFFIX}`;
export const taskTimeoutVariable = (functionName: string) => `${toIdentifier(functionName)}${TASK_TIMEOUT_SUFFIX}`;

/** The function a `${x_function_arn}` variable stands for, or undefined for other variables. */
export function functionOfVariable(variable: string): string | undefined {
  return variable.endsWith(FUNCTION_ARN_SUFFIX)
    ? toFunctionName(variable.slice(0, -FUNCTION_ARN_SUFFIX.length))
    : undefined;
}

// `$${` is templatefile's escape for a literal `${`.
const INTERPOLATION = /(\$?)\$\{([^}]*)\}/g;

export function readStateMachineTemplate(templatePath = STATE_MACHINE_TEMPLATE_PATH): string {
  return readFileSync(templatePath, 'utf8');
}

/** Every variable the template interpolates, sorted. */
export function templateVariables(template: string): string[] {
  const names = new Set<string>();
  for (const [, escape, name = ''] of template.matchAll(INTERPOLATION)) if (!escape) names.add(name.trim());
  return [...names].sort();
}

/** The functions the state machine invokes, from its `${x_function_arn}` variables. */
export function stateMachineFunctions(template: string): string[] {
  return templateVariables(template)
    .map(functionOfVariable)
    .filter((name): name is string => name !== undefined);
}

/**
 * templatefile() semantics for the subset the template uses: plain `${name}` references,
 * `$${` escapes, no directives. A missing or malformed variable throws, as Terraform does.
 */
export function renderTemplate(template: string, variables: Readonly<Record<string, string | number>>): string {
  if (template.includes('%{')) {
    throw new Error('The state machine template uses a %{ } directive, which this renderer does not support.');
  }
  return template.replace(INTERPOLATION, (match, escape: string, rawName: string) => {
    if (escape) return match.slice(1);
    const name = rawName.trim();
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
      throw new Error(`The state machine template interpolates "${name}"; only plain variable names are supported.`);
    }
    const value = variables[name];
    if (value === undefined) {
      throw new Error(`The state machine template needs the variable "${name}"; pass it to the renderer.`);
    }
    return String(value);
  });
}

export interface RenderOptions {
  /** The ARN (or local name) each function is invoked by. */
  functionArn: (functionName: string) => string;
  /** Seconds a task may run before Step Functions times it out. */
  taskTimeoutSeconds: (functionName: string) => number;
  settings?: Partial<Record<keyof typeof SETTING_VARIABLES, number>>;
  template?: string;
}

/** Renders the template and parses it: the definition Step Functions would receive. */
export function renderStateMachine(options: RenderOptions): Record<string, unknown> {
  const template = options.template ?? readStateMachineTemplate();
  const variables: Record<string, string | number> = { ...SETTING_VARIABLES, ...options.settings };
  for (const name of stateMachineFunctions(template)) {
    variables[functionArnVariable(name)] = options.functionArn(name);
    variables[taskTimeoutVariable(name)] = options.taskTimeoutSeconds(name);
  }
  return JSON.parse(renderTemplate(template, variables)) as Record<string, unknown>;
}
