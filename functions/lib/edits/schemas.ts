import * as z from 'zod';
import {
  MAX_EDIT_SUMMARY_CHARS,
  editedSegmentSchema,
  speakerNameSchema,
  speakerNamesSchema,
} from '../contracts/documents';
import { DEFAULT_LAYOUT } from '../fuse/cues';

/** What a save sends: the version it was made on, and the whole edited state. */
export const saveEditsRequestSchema = z.object({
  basedOn: z.number().int().nonnegative(),
  speakers: speakerNamesSchema,
  segments: z.array(editedSegmentSchema).max(5000),
  summary: z.string().trim().max(MAX_EDIT_SUMMARY_CHARS).optional(),
});
export type SaveEditsRequest = z.infer<typeof saveEditsRequestSchema>;

export const restoreRequestSchema = z.object({ basedOn: z.number().int().nonnegative() });

/** `--name S1="Dana Cohen"` or the API's rename: one speaker, one name. */
export const renameSchema = z.object({ id: z.string(), name: speakerNameSchema });

/** Layout rules as a download or the CLI may set them; each bounded so a typo cannot make a useless file. */
const layoutRulesObject = z.object({
  maxLineChars: z.coerce.number().int().min(16).max(80).default(DEFAULT_LAYOUT.maxLineChars),
  maxLines: z.coerce.number().int().min(1).max(4).default(DEFAULT_LAYOUT.maxLines),
  maxCharsPerSec: z.coerce.number().min(5).max(40).default(DEFAULT_LAYOUT.maxCharsPerSec),
  minDurationSec: z.coerce.number().min(0).max(5).default(DEFAULT_LAYOUT.minDurationSec),
  maxDurationSec: z.coerce.number().min(1).max(30).default(DEFAULT_LAYOUT.maxDurationSec),
  pauseSec: z.coerce.number().min(0.1).max(10).default(DEFAULT_LAYOUT.pauseSec),
});
const durationsInOrder = {
  check: (rules: { minDurationSec: number; maxDurationSec: number }) => rules.minDurationSec < rules.maxDurationSec,
  message: { message: 'minDurationSec must be shorter than maxDurationSec', path: ['minDurationSec'] },
};
export const layoutRulesSchema = layoutRulesObject.refine(durationsInOrder.check, durationsInOrder.message);

export const EXPORT_FORMATS = ['vtt', 'srt', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const EXPORT_TRACKS = ['fused', 'audio', 'visual'] as const;
export type ExportTrack = (typeof EXPORT_TRACKS)[number];

/** GET /jobs/{id}/export's query: the file, the version (latest when absent) and the layout. */
export const exportQuerySchema = layoutRulesObject
  .extend({
    format: z.enum(EXPORT_FORMATS).default('vtt'),
    track: z.enum(EXPORT_TRACKS).default('fused'),
    version: z.coerce.number().int().nonnegative().optional(),
  })
  .strict()
  .refine(durationsInOrder.check, durationsInOrder.message)
  .refine((query) => query.format !== 'json' || query.track === 'fused', {
    message: 'JSON is the whole result: ask for it with track=fused (the default)',
    path: ['track'],
  });
