/**
 * dynalite (in memory) on a free loopback port with tables made exactly as Terraform declares
 * them, so conditional writes are judged by a DynamoDB implementation, not by the test.
 */
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { createTableInput } from '../../scripts/local-stack/dynamodb';
import { loadTerraformFacts, resolveVariables } from '../../scripts/local-stack/terraform-facts';
import { REPO_ROOT } from './paths';

export const LOCAL_DYNAMODB_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface LocalDynamoDb {
  endpoint: string;
  client: DynamoDBClient;
  /** Table name by Terraform resource name (aws_dynamodb_table.<resource>). */
  tables: Record<string, string>;
  stop(): Promise<void>;
}

/** `resources`: the aws_dynamodb_table resource names to create (all when omitted). */
export async function startLocalDynamoDb(resources?: readonly string[]): Promise<LocalDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_DYNAMODB_CREDENTIALS });
  const stop = async () => {
    client.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  try {
    const facts = await loadTerraformFacts(path.join(REPO_ROOT, 'terraform'));
    const tables: Record<string, string> = {};
    for (const resource of resources ?? facts.tables.map((table) => table.resource)) {
      const table = facts.tables.find((candidate) => candidate.resource === resource);
      if (!table) throw new Error(`terraform/ declares no aws_dynamodb_table.${resource}`);
      const name = resolveVariables(table.nameTemplate, { name_prefix: 'gorggle' });
      await client.send(new CreateTableCommand(createTableInput(name, table)));
      tables[resource] = name;
    }
    return { endpoint, client, tables, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
