import { Logger } from '@aws-lambda-powertools/logger';

/** One structured logger per bundle; POWERTOOLS_SERVICE_NAME names the function. */
export const logger = new Logger();
