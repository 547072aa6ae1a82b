/**
 * Adds the sentences in data/sentences/*.{he,en}.txt to the bot's sentences table; ones
 * already there are left as they are (with their counts).
 *
 *   SENTENCES_TABLE=gorggle-bot-sentences npx tsx scripts/seed-sentences.ts [dir]
 *
 * AWS_ENDPOINT_URL_DYNAMODB points it at the local stack's dynalite.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { dynamoDbClient } from '../functions/lib/adapters/aws-clients';
import { DynamoDbSentenceStore } from '../functions/lib/adapters/dynamodb-bot-store';
import { seedSentencesFromDir } from '../functions/lib/bot/seed';
import { REPO_ROOT } from './build/functions';

async function main() {
  const table = process.env.SENTENCES_TABLE;
  if (!table) throw new Error('Set SENTENCES_TABLE to the sentences table (terraform output bot_table_names).');
  const dir = process.argv[2] ?? path.join(REPO_ROOT, 'data', 'sentences');
  const result = await seedSentencesFromDir(dir, new DynamoDbSentenceStore(dynamoDbClient(), table), new Date());
  console.log(`added ${result.added}, already there ${result.existing}, rejected ${result.rejected.length}`);
  for (const line of result.rejected) console.log(`  rejected (length): ${line}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
