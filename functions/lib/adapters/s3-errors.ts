/**
 * S3's answers for an object (or version) that is not there. A caller without s3:ListBucket
 * on the bucket gets 403 AccessDenied instead, which is why the roles that must tell
 * "deleted" from "forbidden" hold it (see test/infra/iam-simulation.test.ts). A version that
 * is a delete marker answers 405.
 */
export const isNotFound = (error: unknown) =>
  error instanceof Error &&
  ['NotFound', 'NoSuchKey', 'NoSuchBucket', 'NoSuchVersion', 'MethodNotAllowed'].includes(error.name);
