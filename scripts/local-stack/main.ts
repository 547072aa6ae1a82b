/**
 * `tsx scripts/local-stack/main.ts`: starts the local stack in the foreground, prints where
 * everything listens, and shuts it all down on Ctrl-C or SIGTERM.
 * Ports come from GORGGLE_<COMPONENT>_PORT (e.g. GORGGLE_S3_PORT), else the defaults.
 * Lip reading serves GORGGLE_MODEL_DIR; GORGGLE_LIPREAD_TEST_MODEL=1 serves the test model
 * as a labelled plumbing check; otherwise it is skipped.
 */
import { describeLipReadingModel } from '../local/messages';
import { COMPONENTS, type Component } from './config';
import { StackAlreadyRunningError } from './lock';
import { startLocalStack } from './stack';

function portsFromEnv(): Partial<Record<Component, number>> {
  const ports: Partial<Record<Component, number>> = {};
  for (const component of COMPONENTS) {
    const value = process.env[`GORGGLE_${component.toUpperCase()}_PORT`];
    if (value !== undefined && value !== '') ports[component] = Number(value);
  }
  return ports;
}

async function main(): Promise<void> {
  const stack = await startLocalStack({
    ports: portsFromEnv(),
    echoLogs: process.env.GORGGLE_ECHO_LOGS === '1',
    lipReadingTestModel: process.env.GORGGLE_LIPREAD_TEST_MODEL === '1',
  });
  console.log("Gorggle's local stack is running:");
  for (const [component, url] of Object.entries(stack.endpoints)) console.log(`  ${component.padEnd(12)} ${url}`);
  console.log(`  uploads      s3://${stack.names.uploadsBucket}/uploads/`);
  console.log(`  logs         ${stack.logDir}`);
  console.log(describeLipReadingModel(stack.lipReadingModel));
  console.log('Client environment:');
  for (const [key, value] of Object.entries(stack.clientEnv)) console.log(`  export ${key}=${value}`);
  console.log('Press Ctrl-C to stop (twice to quit at once).');

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    // A second Ctrl-C while stopping quits at once.
    if (stopping) process.exit(130);
    stopping = true;
    console.log(`\n${signal}: stopping the local stack...`);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('The local stack did not stop cleanly:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  if (error instanceof StackAlreadyRunningError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
