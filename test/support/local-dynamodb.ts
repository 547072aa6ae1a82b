import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { createTableInput } from '../../scripts/local-stack/dynamodb';
import { loadTerraformFacts } from '../../scripts/local-stack/terraform-facts';
import { REPO_ROOT } from './paths';

/**
 * dynalite in memory on a free loopback port, with the tables of terraform/ (keys, indexes)
 * named after their Terraform resource, and a client for it: real conditional writes for
 * tests that depend on them.
 */
export async function startLocalDynamoDb(resources: readonly string[]) {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const facts = await loadTerraformFacts(path.join(REPO_ROOT, 'terraform'));
  for (const resource of resources) {
    const table = facts.tables.find((candidate) => candidate.resource === resource);
    if (!table) throw new Error(`terraform/ has no aws_dynamodb_table.${resource}`);
    await client.send(new CreateTableCommand(createTableInput(resource, table)));
  }
  return {
    client,
    async stop() {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
