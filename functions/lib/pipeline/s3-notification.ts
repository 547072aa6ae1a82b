import * as z from 'zod';

/**
 * The S3 event notification JSON that SQS carries in each message body. Only the fields
 * start-pipeline uses are checked; S3 adds more.
 */
export const s3EventRecordSchema = z.object({
  eventName: z.string(),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      eTag: z.string().optional(),
      versionId: z.string().optional(),
      sequencer: z.string().optional(),
    }),
  }),
});
export type S3EventRecord = z.infer<typeof s3EventRecordSchema>;

/** S3 sends this once when a notification is configured; it names no object. */
const s3TestEventSchema = z.object({ Event: z.literal('s3:TestEvent') });

const s3NotificationSchema = z.union([s3TestEventSchema, z.object({ Records: z.array(s3EventRecordSchema) })]);

export type S3Notification = { kind: 'test-event' } | { kind: 'records'; records: S3EventRecord[] };

/** Parses one SQS message body; throws with a readable reason when it is not an S3 notification. */
export function parseS3Notification(body: string): S3Notification {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new Error(`The message body is not JSON: ${body.slice(0, 120)}`);
  }
  const parsed = s3NotificationSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`The message body is not an S3 event notification: ${z.prettifyError(parsed.error)}`);
  }
  return 'Event' in parsed.data ? { kind: 'test-event' } : { kind: 'records', records: parsed.data.Records };
}

/** S3 URL-encodes keys in notifications and writes a space as '+'. */
export function decodeS3Key(encodedKey: string): string {
  return decodeURIComponent(encodedKey.replace(/\+/g, ' '));
}
