/**
 * HCL expressions as @cdktf/hcl2json hands them over ("${...}" strings), parsed and evaluated
 * the way Terraform does for the subset this module uses: references, templates, for
 * expressions, conditionals, operators, splats and the common functions. It lets tests and
 * the local stack read what Terraform would render (ARNs, policy documents) without a plan.
 */

/** A value during evaluation; `Lazy` is an object whose attributes are computed on demand. */
export type Value = null | boolean | number | string | Value[] | { [key: string]: Value } | Lazy;

/** An object that computes attributes when they are read (resource and data instances). */
export class Lazy {
  constructor(
    readonly describe: string,
    readonly get: (attribute: string) => Value,
  ) {}
}

export class HclError extends Error {
  override readonly name = 'HclError';
}

type Node =
  | { kind: 'literal'; value: Value }
  | { kind: 'template'; parts: Array<string | Node> }
  | { kind: 'variable'; name: string }
  | { kind: 'attr'; target: Node; name: string }
  | { kind: 'index'; target: Node; key: Node }
  | { kind: 'splat'; target: Node; each: Array<{ attr?: string; key?: Node }> }
  | { kind: 'call'; name: string; args: Node[]; expand: boolean }
  | { kind: 'tuple'; items: Node[] }
  | { kind: 'object'; entries: Array<{ key: Node; value: Node }> }
  | {
      kind: 'for';
      keyVar?: string;
      valueVar: string;
      collection: Node;
      key?: Node;
      value: Node;
      cond?: Node;
      object: boolean;
      group: boolean;
    }
  | { kind: 'conditional'; test: Node; then: Node; else: Node }
  | { kind: 'binary'; op: string; left: Node; right: Node }
  | { kind: 'unary'; op: string; operand: Node };

// --- lexer -------------------------------------------------------------------------------------

type Token =
  | { type: 'number'; value: number }
  | { type: 'ident'; value: string }
  | { type: 'string'; parts: Array<string | Node> }
  | { type: 'op'; value: string }
  | { type: 'eof' };

const OPERATORS = [
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '=>',
  '...',
  '[*]',
  '.*',
  '?',
  ':',
  '.',
  ',',
  '[',
  ']',
  '(',
  ')',
  '{',
  '}',
  '=',
  '!',
  '-',
  '+',
  '*',
  '/',
  '%',
  '<',
  '>',
];

function lex(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const char = source.charAt(i);
    if (/\s/.test(char)) {
      i++;
      continue;
    }
    if (char === '#' || (char === '/' && source[i + 1] === '/')) {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    if (char === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? source.length : end + 2;
      continue;
    }
    if (/[0-9]/.test(char)) {
      const match = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(source.slice(i)) ?? ['0'];
      tokens.push({ type: 'number', value: Number(match[0]) });
      i += match[0].length;
      continue;
    }
    if (/[\p{L}_]/u.test(char)) {
      const match = /^[\p{L}_][\p{L}\p{N}_-]*/u.exec(source.slice(i)) ?? [char];
      tokens.push({ type: 'ident', value: match[0] });
      i += match[0].length;
      continue;
    }
    if (char === '"') {
      const { parts, end } = readQuoted(source, i + 1);
      tokens.push({ type: 'string', parts });
      i = end;
      continue;
    }
    if (char === '<' && source.startsWith('<<', i)) {
      const heredoc = /^<<(-?)([A-Za-z_][A-Za-z0-9_]*)\n/.exec(source.slice(i));
      if (heredoc) {
        const start = i + heredoc[0].length;
        const closing = new RegExp(`^[ \\t]*${heredoc[2]}\\s*$`, 'm');
        const rest = source.slice(start);
        const close = closing.exec(rest);
        if (!close) throw new HclError(`unterminated heredoc ${heredoc[2]}`);
        let body = rest.slice(0, close.index);
        if (heredoc[1]) {
          const lines = body.split('\n');
          const indent = Math.min(
            ...lines.filter((line) => line.trim()).map((line) => line.length - line.trimStart().length),
          );
          body = lines.map((line) => line.slice(indent)).join('\n');
        }
        tokens.push({ type: 'string', parts: parseTemplate(body) });
        i = start + close.index + close[0].length;
        continue;
      }
    }
    const op = OPERATORS.find((candidate) => source.startsWith(candidate, i));
    if (!op) throw new HclError(`unexpected "${char}" in ${source}`);
    tokens.push({ type: 'op', value: op });
    i += op.length;
  }
  tokens.push({ type: 'eof' });
  return tokens;
}

/** A quoted template from `start` (after the opening quote); returns its parts and the index after the closing quote. */
function readQuoted(source: string, start: number): { parts: Array<string | Node>; end: number } {
  let raw = '';
  let i = start;
  let depth = 0;
  while (i < source.length) {
    const char = source.charAt(i);
    if (depth === 0 && char === '"') break;
    if (char === '\\') {
      raw += source.slice(i, i + 2);
      i += 2;
      continue;
    }
    if ((char === '$' || char === '%') && source[i + 1] === char && source[i + 2] === '{') {
      raw += source.slice(i, i + 3);
      i += 3;
      continue;
    }
    if ((char === '$' || char === '%') && source[i + 1] === '{') {
      depth++;
      raw += source.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (depth > 0 && char === '{') depth++;
    else if (depth > 0 && char === '}') depth--;
    else if (depth > 0 && char === '"') {
      // A string inside an interpolation: copy it whole.
      const inner = readQuoted(source, i + 1);
      raw += source.slice(i, inner.end);
      i = inner.end;
      continue;
    }
    raw += char;
    i++;
  }
  if (source[i] !== '"') throw new HclError(`unterminated string in ${source}`);
  return { parts: parseTemplate(raw, true), end: i + 1 };
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

/** Splits template text into literal strings and interpolated expressions. */
export function parseTemplate(text: string, quoted = false): Array<string | Node> {
  const parts: Array<string | Node> = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const char = text.charAt(i);
    if (quoted && char === '\\') {
      const next = text[i + 1] ?? '';
      if (next === 'u') {
        literal += String.fromCodePoint(parseInt(text.slice(i + 2, i + 6), 16));
        i += 6;
      } else {
        literal += ESCAPES[next] ?? next;
        i += 2;
      }
      continue;
    }
    if ((char === '$' || char === '%') && text[i + 1] === char && text[i + 2] === '{') {
      literal += `${char}{`;
      i += 3;
      continue;
    }
    if (char === '%' && text[i + 1] === '{')
      throw new HclError(`template directives (%{...}) are not supported: ${text}`);
    if (char === '$' && text[i + 1] === '{') {
      const end = matchingBrace(text, i + 1);
      if (literal) parts.push(literal);
      literal = '';
      parts.push(parseExpression(text.slice(i + 2, end).replace(/^~|~$/g, '')));
      i = end + 1;
      continue;
    }
    literal += char;
    i++;
  }
  if (literal || !parts.length) parts.push(literal);
  return parts;
}

function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const char = text.charAt(i);
    if (char === '"') {
      i = readQuoted(text, i + 1).end - 1;
      continue;
    }
    if (char === '{') depth++;
    if (char === '}' && --depth === 0) return i;
  }
  throw new HclError(`unbalanced braces in ${text}`);
}

// --- parser ------------------------------------------------------------------------------------

class Parser {
  private position = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[this.position + offset] ?? { type: 'eof' };
  }
  private next(): Token {
    return this.tokens[this.position++] ?? { type: 'eof' };
  }
  private isOp(value: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.type === 'op' && token.value === value;
  }
  private expectOp(value: string): void {
    const token = this.next();
    if (token.type !== 'op' || token.value !== value)
      throw new HclError(`expected "${value}", got ${JSON.stringify(token)}`);
  }
  private ident(): string {
    const token = this.next();
    if (token.type !== 'ident') throw new HclError(`expected a name, got ${JSON.stringify(token)}`);
    return token.value;
  }

  parseAll(): Node {
    const node = this.expression();
    if (this.peek().type !== 'eof')
      throw new HclError(`unexpected ${JSON.stringify(this.peek())} after the expression`);
    return node;
  }

  expression(): Node {
    const test = this.binary(0);
    if (!this.isOp('?')) return test;
    this.next();
    const then = this.expression();
    this.expectOp(':');
    return { kind: 'conditional', test, then, else: this.expression() };
  }

  private static readonly LEVELS = [['||'], ['&&'], ['==', '!='], ['<', '>', '<=', '>='], ['+', '-'], ['*', '/', '%']];

  private binary(level: number): Node {
    if (level >= Parser.LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const token = this.peek();
      if (token.type !== 'op' || !(Parser.LEVELS[level] ?? []).includes(token.value)) return left;
      this.next();
      left = { kind: 'binary', op: token.value, left, right: this.binary(level + 1) };
    }
  }

  private unary(): Node {
    if (this.isOp('!') || this.isOp('-')) {
      const op = (this.next() as { value: string }).value;
      return { kind: 'unary', op, operand: this.unary() };
    }
    return this.postfix(this.primary());
  }

  private postfix(start: Node): Node {
    let node = start;
    for (;;) {
      if (this.isOp('.') && this.peek(1).type === 'ident') {
        this.next();
        node = { kind: 'attr', target: node, name: this.ident() };
      } else if (this.isOp('.') && this.peek(1).type === 'number') {
        this.next();
        node = {
          kind: 'index',
          target: node,
          key: { kind: 'literal', value: (this.next() as { value: number }).value },
        };
      } else if (this.isOp('[*]') || this.isOp('.*')) {
        this.next();
        const each: Array<{ attr?: string; key?: Node }> = [];
        for (;;) {
          if (this.isOp('.') && this.peek(1).type === 'ident') {
            this.next();
            each.push({ attr: this.ident() });
          } else if (this.isOp('[') && !this.isOp('[*]')) {
            this.next();
            each.push({ key: this.expression() });
            this.expectOp(']');
          } else break;
        }
        node = { kind: 'splat', target: node, each };
      } else if (this.isOp('[')) {
        this.next();
        const key = this.expression();
        this.expectOp(']');
        node = { kind: 'index', target: node, key };
      } else return node;
    }
  }

  private primary(): Node {
    const token = this.next();
    if (token.type === 'number') return { kind: 'literal', value: token.value };
    if (token.type === 'string') return templateNode(token.parts);
    if (token.type === 'ident') {
      if (token.value === 'true' || token.value === 'false') return { kind: 'literal', value: token.value === 'true' };
      if (token.value === 'null') return { kind: 'literal', value: null };
      if (this.isOp('(')) {
        this.next();
        const args: Node[] = [];
        let expand = false;
        while (!this.isOp(')')) {
          args.push(this.expression());
          if (this.isOp('...')) {
            this.next();
            expand = true;
          }
          if (this.isOp(',')) this.next();
        }
        this.expectOp(')');
        return { kind: 'call', name: token.value, args, expand };
      }
      return { kind: 'variable', name: token.value };
    }
    if (token.type === 'op' && token.value === '(') {
      const inner = this.expression();
      this.expectOp(')');
      return inner;
    }
    if (token.type === 'op' && token.value === '[') return this.tuple();
    if (token.type === 'op' && token.value === '{') return this.object();
    throw new HclError(`unexpected ${JSON.stringify(token)}`);
  }

  private forHeader(): { keyVar?: string; valueVar: string; collection: Node } {
    this.ident(); // "for"
    const first = this.ident();
    let keyVar: string | undefined;
    let valueVar = first;
    if (this.isOp(',')) {
      this.next();
      keyVar = first;
      valueVar = this.ident();
    }
    const keyword = this.ident();
    if (keyword !== 'in') throw new HclError(`expected "in" in a for expression, got ${keyword}`);
    const collection = this.expression();
    this.expectOp(':');
    return { ...(keyVar ? { keyVar } : {}), valueVar, collection };
  }

  private condition(): Node | undefined {
    const token = this.peek();
    if (token.type === 'ident' && token.value === 'if') {
      this.next();
      return this.expression();
    }
    return undefined;
  }

  private tuple(): Node {
    const token = this.peek();
    if (token.type === 'ident' && token.value === 'for') {
      const header = this.forHeader();
      const value = this.expression();
      const cond = this.condition();
      this.expectOp(']');
      return { kind: 'for', ...header, value, ...(cond ? { cond } : {}), object: false, group: false };
    }
    const items: Node[] = [];
    while (!this.isOp(']')) {
      items.push(this.expression());
      if (this.isOp(',')) this.next();
    }
    this.expectOp(']');
    return { kind: 'tuple', items };
  }

  private object(): Node {
    const token = this.peek();
    if (token.type === 'ident' && token.value === 'for') {
      const header = this.forHeader();
      const key = this.expression();
      this.expectOp('=>');
      const value = this.expression();
      let group = false;
      if (this.isOp('...')) {
        this.next();
        group = true;
      }
      const cond = this.condition();
      this.expectOp('}');
      return { kind: 'for', ...header, key, value, ...(cond ? { cond } : {}), object: true, group };
    }
    const entries: Array<{ key: Node; value: Node }> = [];
    while (!this.isOp('}')) {
      const keyToken = this.peek();
      // A bare name as key is the name itself, not a variable (HCL object constructor keys).
      const key: Node =
        keyToken.type === 'ident' && (this.isOp('=', 1) || this.isOp(':', 1))
          ? (this.next(), { kind: 'literal', value: keyToken.value })
          : this.expression();
      if (this.isOp('=') || this.isOp(':')) this.next();
      else throw new HclError(`expected "=" after an object key, got ${JSON.stringify(this.peek())}`);
      entries.push({ key, value: this.expression() });
      if (this.isOp(',')) this.next();
    }
    this.expectOp('}');
    return { kind: 'object', entries };
  }
}

function templateNode(parts: Array<string | Node>): Node {
  if (parts.length === 1 && typeof parts[0] === 'string') return { kind: 'literal', value: parts[0] };
  return { kind: 'template', parts };
}

const parsedCache = new Map<string, Node>();

export function parseExpression(source: string): Node {
  let node = parsedCache.get(source);
  if (!node) {
    node = new Parser(lex(source)).parseAll();
    parsedCache.set(source, node);
  }
  return node;
}

// --- evaluation --------------------------------------------------------------------------------

export interface Scope {
  /** Resolves a root name (var, local, each, a resource type, data, path...). */
  lookup(name: string): Value;
}

export function childScope(parent: Scope, bindings: Record<string, Value>): Scope {
  return { lookup: (name) => (name in bindings ? (bindings[name] ?? null) : parent.lookup(name)) };
}

export const isObject = (value: Value): value is { [key: string]: Value } =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Lazy);

function typeName(value: Value): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (value instanceof Lazy) return value.describe;
  return typeof value === 'object' ? 'object' : typeof value;
}

export function toText(value: Value): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new HclError(`cannot use a ${typeName(value)} as a string`);
}

function attributeOf(target: Value, name: string): Value {
  if (target instanceof Lazy) return target.get(name);
  if (isObject(target)) {
    if (!(name in target))
      throw new HclError(`the object has no attribute "${name}" (it has ${Object.keys(target).join(', ')})`);
    return target[name] ?? null;
  }
  throw new HclError(`cannot read .${name} of a ${typeName(target)}`);
}

function indexOf(target: Value, key: Value): Value {
  if (Array.isArray(target)) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= target.length)
      throw new HclError(`index ${String(key)} is out of range`);
    return target[index] ?? null;
  }
  return attributeOf(target, toText(key));
}

function entries(collection: Value): Array<[Value, Value]> {
  if (Array.isArray(collection)) return collection.map((item, index) => [index, item]);
  if (isObject(collection)) {
    return Object.keys(collection)
      .sort()
      .map((key) => [key, collection[key] ?? null]);
  }
  throw new HclError(`cannot iterate over a ${typeName(collection)}`);
}

const equal = (a: Value, b: Value) => JSON.stringify(a) === JSON.stringify(b);

export function evaluate(node: Node, scope: Scope): Value {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'template': {
      const [only] = node.parts;
      if (node.parts.length === 1 && only !== undefined && typeof only !== 'string') return evaluate(only, scope);
      return node.parts.map((part) => (typeof part === 'string' ? part : toText(evaluate(part, scope)))).join('');
    }
    case 'variable':
      return scope.lookup(node.name);
    case 'attr':
      return attributeOf(evaluate(node.target, scope), node.name);
    case 'index':
      return indexOf(evaluate(node.target, scope), evaluate(node.key, scope));
    case 'splat': {
      const target = evaluate(node.target, scope);
      const items =
        target === null ? [] : Array.isArray(target) ? target : isObject(target) ? Object.values(target) : [target];
      return items.map((item) =>
        node.each.reduce<Value>(
          (value, step) =>
            step.attr !== undefined
              ? attributeOf(value, step.attr)
              : indexOf(value, step.key ? evaluate(step.key, scope) : null),
          item,
        ),
      );
    }
    case 'call': {
      if (node.name === 'try') {
        for (const arg of node.args) {
          try {
            return evaluate(arg, scope);
          } catch {
            // Next alternative.
          }
        }
        throw new HclError('no argument of try() could be evaluated');
      }
      if (node.name === 'can') {
        try {
          if (node.args[0]) evaluate(node.args[0], scope);
          return true;
        } catch {
          return false;
        }
      }
      let args = node.args.map((arg) => evaluate(arg, scope));
      if (node.expand) args = [...args.slice(0, -1), ...((args.at(-1) as Value[]) ?? [])];
      const fn = FUNCTIONS[node.name];
      if (!fn) throw new HclError(`the function ${node.name}() is not supported here`);
      return fn(...args);
    }
    case 'tuple':
      return node.items.map((item) => evaluate(item, scope));
    case 'object':
      return Object.fromEntries(
        node.entries.map(({ key, value }) => [toText(evaluate(key, scope)), evaluate(value, scope)]),
      );
    case 'for': {
      const results: Array<[Value, Value]> = [];
      for (const [key, value] of entries(evaluate(node.collection, scope))) {
        const inner = childScope(scope, { ...(node.keyVar ? { [node.keyVar]: key } : {}), [node.valueVar]: value });
        if (node.cond && evaluate(node.cond, inner) !== true) continue;
        results.push([node.key ? evaluate(node.key, inner) : null, evaluate(node.value, inner)]);
      }
      if (!node.object) return results.map(([, value]) => value);
      const object: Record<string, Value> = {};
      for (const [key, value] of results) {
        const name = toText(key);
        if (node.group) ((object[name] ??= []) as Value[]).push(value);
        else if (name in object) throw new HclError(`duplicate key "${name}" in a for expression`);
        else object[name] = value;
      }
      return object;
    }
    case 'conditional': {
      const test = evaluate(node.test, scope);
      if (typeof test !== 'boolean') throw new HclError(`a condition must be true or false, not a ${typeName(test)}`);
      return evaluate(test ? node.then : node.else, scope);
    }
    case 'unary': {
      const operand = evaluate(node.operand, scope);
      return node.op === '!' ? !operand : -Number(operand);
    }
    case 'binary': {
      if (node.op === '&&') return evaluate(node.left, scope) === true && evaluate(node.right, scope) === true;
      if (node.op === '||') return evaluate(node.left, scope) === true || evaluate(node.right, scope) === true;
      const left = evaluate(node.left, scope);
      const right = evaluate(node.right, scope);
      switch (node.op) {
        case '==':
          return equal(left, right);
        case '!=':
          return !equal(left, right);
        case '<':
          return Number(left) < Number(right);
        case '>':
          return Number(left) > Number(right);
        case '<=':
          return Number(left) <= Number(right);
        case '>=':
          return Number(left) >= Number(right);
        case '+':
          return Number(left) + Number(right);
        case '-':
          return Number(left) - Number(right);
        case '*':
          return Number(left) * Number(right);
        case '/':
          return Number(left) / Number(right);
        case '%':
          return Number(left) % Number(right);
      }
      throw new HclError(`unknown operator ${node.op}`);
    }
  }
}

/** Evaluates a value as hcl2json gives it: strings are templates, arrays and objects hold more. */
export function evaluateJson(value: unknown, scope: Scope): Value {
  if (typeof value === 'string') {
    return value.includes('${') || value.includes('%{') ? evaluate(templateNode(parseTemplate(value)), scope) : value;
  }
  if (Array.isArray(value)) return value.map((item) => evaluateJson(item, scope));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, evaluateJson(item, scope)]));
  }
  return (value ?? null) as Value;
}

// --- functions ---------------------------------------------------------------------------------

const list = (value: Value): Value[] => {
  if (Array.isArray(value)) return value;
  if (isObject(value)) return Object.values(value);
  throw new HclError(`expected a list, got a ${typeName(value)}`);
};
const object = (value: Value): Record<string, Value> => {
  if (isObject(value)) return value;
  throw new HclError(`expected a map, got a ${typeName(value)}`);
};
const distinctValues = (values: Value[]) =>
  values.filter((item, index) => values.findIndex((other) => equal(other, item)) === index);

/** Mirrors JSON.stringify but sorts object keys, as Terraform's jsonencode does. */
function jsonEncode(value: Value): string {
  if (value instanceof Lazy) throw new HclError(`cannot jsonencode ${value.describe}`);
  if (Array.isArray(value)) return `[${value.map(jsonEncode).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${jsonEncode(value[key] ?? null)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const FUNCTIONS: Record<string, (...args: Value[]) => Value> = {
  jsonencode: (value: Value = null) => jsonEncode(value),
  jsondecode: (text: Value = null) => JSON.parse(toText(text)) as Value,
  tostring: (value: Value = null) => (value === null ? null : toText(value)),
  tonumber: (value: Value = null) => (value === null ? null : Number(value)),
  tobool: (value: Value = null) => (value === null ? null : value === true || value === 'true'),
  tolist: (value: Value = null) => list(value),
  toset: (value: Value = null) => distinctValues(list(value)),
  tomap: (value: Value = null) => object(value),
  join: (separator: Value = null, ...lists) =>
    lists
      .flatMap((item) => list(item))
      .map(toText)
      .join(toText(separator)),
  split: (separator: Value = null, text: Value = null) => toText(text).split(toText(separator)),
  concat: (...lists) => lists.flatMap((item) => list(item)),
  distinct: (values: Value = null) => distinctValues(list(values)),
  flatten: (values: Value = null) => {
    const flat = (items: Value[]): Value[] => items.flatMap((item) => (Array.isArray(item) ? flat(item) : [item]));
    return flat(list(values));
  },
  compact: (values: Value = null) => list(values).filter((item) => item !== null && item !== ''),
  setproduct: (...lists) =>
    lists.reduce<Value[][]>(
      (acc, items) => acc.flatMap((prefix) => list(items).map((item) => [...prefix, item])),
      [[]],
    ),
  keys: (value: Value = null) => Object.keys(object(value)).sort(),
  values: (value: Value = null) => {
    const map = object(value);
    return Object.keys(map)
      .sort()
      .map((key) => map[key] ?? null);
  },
  length: (value: Value = null) => (typeof value === 'string' ? [...value].length : list(value).length),
  merge: (...maps) => Object.assign({}, ...maps.filter((map) => map !== null).map((map) => object(map))) as Value,
  lookup: (map: Value = null, key: Value = null, fallback: Value = null) => {
    const found = object(map)[toText(key)];
    if (found !== undefined) return found;
    if (fallback !== undefined) return fallback;
    throw new HclError(`lookup: no key ${toText(key)}`);
  },
  contains: (values: Value = null, item: Value = null) => list(values).some((candidate) => equal(candidate, item)),
  element: (values: Value = null, index: Value = null) => {
    const items = list(values);
    return items[Number(index) % items.length] ?? null;
  },
  index: (values: Value = null, item: Value = null) => list(values).findIndex((candidate) => equal(candidate, item)),
  one: (values: Value = null) => {
    const items = values === null ? [] : list(values);
    if (items.length > 1) throw new HclError('one() got more than one element');
    return items[0] ?? null;
  },
  coalesce: (...values) => values.find((value) => value !== null && value !== '') ?? null,
  coalescelist: (...lists) => lists.find((value) => list(value).length > 0) ?? [],
  lower: (text: Value = null) => toText(text).toLowerCase(),
  upper: (text: Value = null) => toText(text).toUpperCase(),
  trimprefix: (text: Value = null, prefix: Value = null) => {
    const value = toText(text);
    const start = toText(prefix);
    return value.startsWith(start) ? value.slice(start.length) : value;
  },
  trimsuffix: (text: Value = null, suffix: Value = null) => {
    const value = toText(text);
    const end = toText(suffix);
    return end && value.endsWith(end) ? value.slice(0, -end.length) : value;
  },
  trimspace: (text: Value = null) => toText(text).trim(),
  startswith: (text: Value = null, prefix: Value = null) => toText(text).startsWith(toText(prefix)),
  endswith: (text: Value = null, suffix: Value = null) => toText(text).endsWith(toText(suffix)),
  replace: (text: Value = null, search: Value = null, replacement: Value = null) => {
    const pattern = toText(search);
    const regex = /^\/(.*)\/$/s.exec(pattern);
    return regex
      ? toText(text).replace(new RegExp(regex[1] ?? '', 'g'), toText(replacement).replace(/\$\{(\d+)\}/g, '$$$1'))
      : toText(text).split(pattern).join(toText(replacement));
  },
  substr: (text: Value = null, offset: Value = null, length: Value = null) => {
    const chars = [...toText(text)];
    const start = Number(offset);
    const count = Number(length);
    return chars.slice(start, count < 0 ? undefined : start + count).join('');
  },
  format: (spec: Value = null, ...args) => {
    let index = 0;
    return toText(spec).replace(/%[sdv%]/g, (directive) => (directive === '%%' ? '%' : toText(args[index++] ?? null)));
  },
  min: (...numbers) => Math.min(...numbers.map(Number)),
  max: (...numbers) => Math.max(...numbers.map(Number)),
  floor: (number: Value = null) => Math.floor(Number(number)),
  ceil: (number: Value = null) => Math.ceil(Number(number)),
  abs: (number: Value = null) => Math.abs(Number(number)),
  alltrue: (values: Value = null) => list(values).every((value) => value === true || value === 'true'),
  anytrue: (values: Value = null) => list(values).some((value) => value === true || value === 'true'),
  range: (...bounds) => {
    const [start, end] = bounds.length === 1 ? [0, Number(bounds[0])] : [Number(bounds[0]), Number(bounds[1])];
    return Array.from({ length: Math.max(0, end - start) }, (_, index) => start + index);
  },
  zipmap: (names: Value = null, values: Value = null) =>
    Object.fromEntries(list(names).map((name, index) => [toText(name), list(values)[index] ?? null])),
  sort: (values: Value = null) => list(values).map(toText).sort(),
  reverse: (values: Value = null) => [...list(values)].reverse(),
  slice: (values: Value = null, start: Value = null, end: Value = null) =>
    list(values).slice(Number(start), Number(end)),
  sum: (values: Value = null) => list(values).reduce<number>((total, value) => total + Number(value), 0),
  regex: (pattern: Value = null, text: Value = null) => {
    const match = new RegExp(toText(pattern)).exec(toText(text));
    if (!match) throw new HclError(`regex: no match of ${toText(pattern)}`);
    return match[0];
  },
  // Contents of files are not read: a stable stand-in keeps expressions that hash them valid.
  filebase64sha256: (file: Value = null) => `sha256-of-${toText(file)}`,
  filesha256: (file: Value = null) => `sha256-of-${toText(file)}`,
  file: (file: Value = null) => `contents-of-${toText(file)}`,
  templatefile: (file: Value = null) => `rendered-${toText(file)}`,
  base64encode: (text: Value = null) => Buffer.from(toText(text)).toString('base64'),
  sha256: (text: Value = null) => `sha256-of-${toText(text)}`,
  md5: (text: Value = null) => `md5-of-${toText(text)}`,
  timestamp: () => '2026-01-01T00:00:00Z',
  sensitive: (value: Value = null) => value,
  nonsensitive: (value: Value = null) => value,
};
