/**
 * The results API and web page beside the local stack: the api Lambda zip behind the local
 * API Gateway stand-in (scripts/local-api-gateway.ts), with the page from dist/web and a fresh
 * bearer token. Loaded lazily: if that part is missing or fails, `make local` goes on without it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { REPO_ROOT } from '../build/functions';
import type * as BuildWebModule from '../build-web';
import type * as GatewayModule from '../local-api-gateway';
import { LambdaFunctionError } from '../local-stack/lambda/runner';
import type { LocalStack } from '../local-stack/stack';

const API_FUNCTION = 'api';
const DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024 ** 3;

export interface RunningApi {
  /** The page, signed in through the token in its fragment. */
  pageUrl: string;
  apiUrl: string;
  token: string;
  close(): Promise<void>;
}

/** `port` defaults to GORGGLE_API_PORT, else 8080; 0 picks a free one (tests). */
export async function startOptionalApi(
  stack: LocalStack,
  { port = Number(process.env.GORGGLE_API_PORT ?? 8080) }: { port?: number } = {},
): Promise<RunningApi | undefined> {
  if (!stack.facts.functions[API_FUNCTION] || !existsSync(path.join(REPO_ROOT, 'scripts', 'local-api-gateway.ts'))) {
    return undefined;
  }
  try {
    const gatewayModule: typeof GatewayModule = await import('../local-api-gateway');
    const buildWebModule: typeof BuildWebModule = await import('../build-web');
    if (!existsSync(path.join(buildWebModule.WEB_DIST_DIR, 'index.html'))) await buildWebModule.buildWeb();
    const token = randomBytes(24).toString('base64url');
    const defaults = stack.facts.variableDefaults;
    const gateway = await gatewayModule.startLocalApiGateway({
      port,
      staticDir: buildWebModule.WEB_DIST_DIR,
      token,
      connectOrigins: [stack.endpoints.s3],
      config: {
        region: stack.config.region,
        consoleLinks: false,
        maxUploadBytes: Number(defaults.max_upload_bytes ?? DEFAULT_MAX_UPLOAD_BYTES),
        allowedExtensions: (defaults.allowed_extensions as string[] | undefined) ?? ['mp4'],
      },
      invoke: async (event) => {
        const result = await stack.lambda.invoke(API_FUNCTION, event);
        if (!result.ok) throw new LambdaFunctionError(result.error);
        return result.payload as APIGatewayProxyStructuredResultV2;
      },
    });
    // S3 answers this page, and no other, from a browser.
    await stack.allowPageOrigins(gateway.pageOrigins);
    return { pageUrl: gateway.pageUrl, apiUrl: gateway.apiUrl, token, close: () => gateway.close() };
  } catch (error) {
    console.warn(`The results API and web page did not start (${(error as Error).message}); going on without them.`);
    return undefined;
  }
}
