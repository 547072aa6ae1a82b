/**
 * SSM Parameter Store for the local stack: GetParameter(s), PutParameter and DeleteParameter
 * over the JSON-1.1 protocol the SDK speaks, kept in one file readable by its owner only. The
 * bot's functions read their token, webhook secret and salt from here exactly as from SSM.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { AwsServiceError, createJsonServer, listen, parseInput } from './emulators/json-protocol';
import type { ComponentLog } from './logs';

interface StoredParameter {
  name: string;
  value: string;
  type: 'String' | 'SecureString' | 'StringList';
  version: number;
  lastModified: string;
}

export interface RunningSsm {
  url: string;
  /** Writes a parameter directly (the stack seeds the bot's secrets this way). */
  put(name: string, value: string, type?: StoredParameter['type']): void;
  get(name: string): string | undefined;
  close(): Promise<void>;
}

const VALIDATION = 'ValidationException';
const nameSchema = z
  .string()
  .regex(/^\/[A-Za-z0-9_.\-/]{1,1010}$/, 'a parameter name starts with / (a-z, 0-9, _ . - /)');

export async function startSsm(options: {
  host: string;
  port: number;
  directory: string;
  accountId: string;
  region: string;
  log: ComponentLog;
}): Promise<RunningSsm> {
  mkdirSync(options.directory, { recursive: true, mode: 0o700 });
  const file = path.join(options.directory, 'parameters.json');
  const parameters = new Map<string, StoredParameter>(
    existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as StoredParameter[]).map((parameter) => [parameter.name, parameter])
      : [],
  );
  const save = () => {
    // Secrets: owner-only, written whole so a crash never leaves half a file.
    writeFileSync(`${file}.tmp`, JSON.stringify([...parameters.values()], null, 1), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  };
  const arn = (name: string) => `arn:aws:ssm:${options.region}:${options.accountId}:parameter${name}`;
  const shape = (parameter: StoredParameter) => ({
    Name: parameter.name,
    Type: parameter.type,
    Value: parameter.value,
    Version: parameter.version,
    LastModifiedDate: Date.parse(parameter.lastModified) / 1000,
    ARN: arn(parameter.name),
    DataType: 'text',
  });
  const put = (name: string, value: string, type: StoredParameter['type'] = 'SecureString') => {
    const previous = parameters.get(name);
    parameters.set(name, {
      name,
      value,
      type,
      version: (previous?.version ?? 0) + 1,
      lastModified: new Date().toISOString(),
    });
    save();
    return (previous?.version ?? 0) + 1;
  };

  const server = createJsonServer({
    targetPrefix: 'AmazonSSM',
    internalErrorType: 'InternalServerError',
    logger: options.log,
    operations: {
      GetParameters: (input) => {
        const { Names } = parseInput(z.object({ Names: z.array(z.string()).min(1).max(10) }), input, VALIDATION);
        const found = Names.flatMap((name) => {
          const parameter = parameters.get(name);
          return parameter ? [shape(parameter)] : [];
        });
        return { Parameters: found, InvalidParameters: Names.filter((name) => !parameters.has(name)) };
      },
      GetParameter: (input) => {
        const { Name } = parseInput(z.object({ Name: z.string() }), input, VALIDATION);
        const parameter = parameters.get(Name);
        if (!parameter) throw new AwsServiceError('ParameterNotFound', `Parameter ${Name} not found.`);
        return { Parameter: shape(parameter) };
      },
      PutParameter: (input) => {
        const request = parseInput(
          z.object({
            Name: nameSchema,
            Value: z.string().min(1).max(8192),
            Type: z.enum(['String', 'SecureString', 'StringList']).default('String'),
            Overwrite: z.boolean().default(false),
          }),
          input,
          VALIDATION,
        );
        if (parameters.has(request.Name) && !request.Overwrite) {
          throw new AwsServiceError(
            'ParameterAlreadyExists',
            'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
          );
        }
        return { Version: put(request.Name, request.Value, request.Type), Tier: 'Standard' };
      },
      DeleteParameter: (input) => {
        const { Name } = parseInput(z.object({ Name: z.string() }), input, VALIDATION);
        if (!parameters.delete(Name)) throw new AwsServiceError('ParameterNotFound', `Parameter ${Name} not found.`);
        save();
        return {};
      },
    },
  });
  const url = await listen(server, options.port, options.host);
  options.log.info('ssm listening', { url, parameters: [...parameters.keys()] });
  return {
    url,
    put: (name, value, type) => void put(name, value, type),
    get: (name) => parameters.get(name)?.value,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
