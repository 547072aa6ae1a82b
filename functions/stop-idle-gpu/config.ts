import * as z from 'zod';
import { env } from '../lib/config';

export const configSchema = z.object({
  /** The lip-reading server's Auto Scaling group. */
  AVHUBERT_ASG_NAME: z.string().regex(/^[\w.:/-]{1,255}$/, 'an Auto Scaling group name'),
  /** Minutes without a lip-reading job before the GPU instance goes. */
  IDLE_MINUTES: env.positiveInt(15),
});
