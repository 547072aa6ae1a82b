import * as z from 'zod';

export const s3RefSchema = z.object({ bucket: z.string().min(1), key: z.string().min(1) });
export type S3Ref = z.infer<typeof s3RefSchema>;

export const errorInfoSchema = z.object({ name: z.string(), message: z.string() });
export type ErrorInfo = z.infer<typeof errorInfoSchema>;

/** Seconds from the start of the media. */
export const secondsSchema = z.number().nonnegative();

/** A box in relative units (0..1 of the frame), as Rekognition reports it. */
export const relativeBoxSchema = z.object({
  left: z.number(),
  top: z.number(),
  width: z.number().nonnegative(),
  height: z.number().nonnegative(),
});
export type RelativeBox = z.infer<typeof relativeBoxSchema>;

export const pointSchema = z.object({ x: z.number(), y: z.number() });
export type Point = z.infer<typeof pointSchema>;
