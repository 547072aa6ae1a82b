import middy from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { dynamoDbClient, s3Client } from '../lib/adapters/aws-clients';
import { DynamoDbJobReader } from '../lib/adapters/dynamodb-job-reader';
import { S3UrlSigner } from '../lib/adapters/s3-result-signer';
import { SfnExecutionHistory, sfnHistoryClient } from '../lib/adapters/sfn-execution-history';
import { S3EditsStore } from '../lib/adapters/s3-edits-store';
import { S3JobFiles } from '../lib/adapters/s3-job-files';
import { authenticate } from '../lib/api/auth';
import { ownerOrAdminMayEdit } from '../lib/api/edit-access';
import { jsonErrors } from '../lib/api/middleware';
import { handleApiRequest } from '../lib/api/routes';
import { lazyConfig } from '../lib/config';
import { logger } from '../lib/logger';
import { configSchema } from './config';

const config = lazyConfig(configSchema);

/**
 * The results API behind an API Gateway HTTP API (payload 2.0): uploads, jobs, execution
 * summaries and result links. Every route needs a caller (see lib/api/auth.ts).
 */
export const handler = middy<APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2>()
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(jsonErrors({ logger }))
  // GETs carry no body; POST /uploads refuses a body that did not parse as JSON.
  .use(httpJsonBodyParser({ disableContentTypeError: true }))
  .handler(async (event) => {
    const settings = config();
    const caller = authenticate(event, settings.LOCAL_API_TOKEN);
    logger.appendKeys({
      routeKey: event.routeKey,
      caller: caller.via,
      ...(event.pathParameters?.id ? { jobId: event.pathParameters.id } : {}),
    });
    const s3 = new S3UrlSigner(s3Client());
    return handleApiRequest(
      { ...event, caller },
      {
        jobs: new DynamoDbJobReader(dynamoDbClient(), settings.JOBS_TABLE),
        uploads: s3,
        downloads: s3,
        executions: new SfnExecutionHistory(sfnHistoryClient()),
        edits: new S3EditsStore(s3Client(), settings.PROCESSED_BUCKET),
        files: new S3JobFiles(s3Client(), settings.PROCESSED_BUCKET),
        editAccess: ownerOrAdminMayEdit,
        now: () => new Date(),
      },
      {
        uploadsBucket: settings.UPLOADS_BUCKET,
        processedBucket: settings.PROCESSED_BUCKET,
        maxUploadBytes: settings.MAX_UPLOAD_BYTES,
        allowedExtensions: settings.ALLOWED_EXTENSIONS,
        uploadUrlSeconds: settings.UPLOAD_URL_SECONDS,
        resultUrlSeconds: settings.RESULT_URL_SECONDS,
        maxHistoryEvents: settings.MAX_HISTORY_EVENTS,
        retentionDays: settings.JOB_RETENTION_DAYS,
      },
    );
  });
