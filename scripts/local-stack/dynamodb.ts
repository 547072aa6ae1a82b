/**
 * DynamoDB on dynalite, persisted under <dataDir>/dynamodb, with the tables of
 * terraform/dynamodb.tf created on start (existing ones are kept, with their rows).
 * dynalite has no TTL and no transactions: the functions use conditional writes only.
 */
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DynamoDBClient,
  DescribeTableCommand,
  ListTablesCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { LOCAL_CREDENTIALS } from './config';
import { guardLocalServer, keepIdleConnections } from './http-guard';
import type { ComponentLog } from './logs';
import type { TableFacts } from './terraform-facts';

export interface DynamoDbOptions {
  host: string;
  port: number;
  directory: string;
  region: string;
  tables: Array<{ name: string; facts: TableFacts }>;
  log: ComponentLog;
}

export interface RunningDynamoDb {
  url: string;
  port: number;
  close(): Promise<void>;
}

export function createTableInput(name: string, facts: TableFacts): CreateTableCommandInput {
  const keySchema = (hashKey: string, rangeKey?: string) => [
    { AttributeName: hashKey, KeyType: 'HASH' as const },
    ...(rangeKey ? [{ AttributeName: rangeKey, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: facts.attributes.map((attribute) => ({
      AttributeName: attribute.name,
      AttributeType: attribute.type,
    })),
    KeySchema: keySchema(facts.hashKey, facts.rangeKey),
    GlobalSecondaryIndexes: facts.globalSecondaryIndexes.length
      ? facts.globalSecondaryIndexes.map((index) => ({
          IndexName: index.name,
          KeySchema: keySchema(index.hashKey, index.rangeKey),
          Projection: { ProjectionType: index.projectionType as 'ALL' | 'KEYS_ONLY' | 'INCLUDE' },
        }))
      : undefined,
  };
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`dynalite did not make table ${tableName} ACTIVE within 5 s`);
}

export async function startDynamoDb(options: DynamoDbOptions): Promise<RunningDynamoDb> {
  await mkdir(options.directory, { recursive: true });
  const server = dynalite({ path: options.directory, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  // No web page ever calls DynamoDB: any request with an Origin is refused.
  guardLocalServer(server, { name: 'local DynamoDB' });
  keepIdleConnections(server);
  server.on('request', (request, response) => {
    const started = Date.now();
    response.on('finish', () =>
      options.log.info(`${String(request.headers['x-amz-target'] ?? request.method)} ${response.statusCode}`, {
        ms: Date.now() - started,
      }),
    );
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host}:${port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });

  try {
    const client = new DynamoDBClient({
      endpoint: url,
      region: options.region,
      credentials: {
        accessKeyId: LOCAL_CREDENTIALS.AWS_ACCESS_KEY_ID,
        secretAccessKey: LOCAL_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
      },
    });
    const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
    for (const table of options.tables) {
      if (existing.has(table.name)) continue;
      await client.send(new CreateTableCommand(createTableInput(table.name, table.facts)));
      await waitUntilActive(client, table.name);
      options.log.info('table created', { table: table.name });
    }
    client.destroy();
  } catch (error) {
    await close();
    throw error;
  }
  options.log.info('dynalite listening', { url, directory: options.directory });
  return { url, port, close };
}
