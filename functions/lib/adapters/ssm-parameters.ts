import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ConfigurationError } from '../errors';

let ssm: SSMClient | undefined;
export const ssmClient = () => (ssm ??= new SSMClient({}));

/** Placeholder Terraform writes; the real value is set with `aws ssm put-parameter`. */
export const UNSET_PARAMETER_VALUE = 'set-me-outside-terraform';

/**
 * Reads SecureString parameters (decrypted) and caches them for a few minutes, so a warm
 * function sees a rotated secret soon without a call per request.
 */
export class SsmSecrets {
  private cache: { values: Record<string, string>; expires: number } | undefined;

  constructor(
    private readonly names: Record<string, string>,
    private readonly client: SSMClient = ssmClient(),
    private readonly ttlMs = 5 * 60_000,
  ) {}

  async get(): Promise<Record<string, string>> {
    if (this.cache && this.cache.expires > Date.now()) return this.cache.values;
    const wanted = Object.values(this.names);
    const { Parameters = [], InvalidParameters = [] } = await this.client.send(
      new GetParametersCommand({ Names: wanted, WithDecryption: true }),
    );
    const byName = new Map(Parameters.map((parameter) => [parameter.Name, parameter.Value]));
    const unset = wanted.filter((name) => !byName.get(name) || byName.get(name) === UNSET_PARAMETER_VALUE);
    if (InvalidParameters.length || unset.length) {
      const missing = [...new Set([...InvalidParameters, ...unset])];
      throw new ConfigurationError(
        `SSM parameters ${missing.join(', ')} are missing or still unset. ` +
          'Set each with `aws ssm put-parameter --type SecureString --overwrite --name <name> --value <value>`.',
      );
    }
    const values = Object.fromEntries(Object.entries(this.names).map(([key, name]) => [key, byName.get(name) ?? '']));
    this.cache = { values, expires: Date.now() + this.ttlMs };
    return values;
  }
}
