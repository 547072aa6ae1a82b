import * as z from 'zod';

/** The part of ffprobe's JSON that extract reads. ffprobe prints numbers as strings in places. */
const numeric = z.union([z.number(), z.string()]).optional();

const probeStreamSchema = z.object({
  index: z.number().int(),
  codec_type: z.string().optional(),
  codec_name: z.string().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  avg_frame_rate: z.string().optional(),
  r_frame_rate: z.string().optional(),
  sample_rate: numeric,
  channels: z.number().optional(),
  duration: numeric,
  disposition: z.record(z.string(), z.number()).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  side_data_list: z.array(z.object({ rotation: z.number().optional() }).loose()).optional(),
});
export type ProbeStream = z.infer<typeof probeStreamSchema>;

export const probeReportSchema = z.object({
  streams: z.array(probeStreamSchema).default([]),
  format: z.object({ format_name: z.string().optional(), duration: numeric }).optional(),
});
export type ProbeReport = z.infer<typeof probeReportSchema>;

/** Codecs ffprobe reports as video that are not pictures of anything (text rendered as a terminal). */
const NON_PICTURE_VIDEO_CODECS = new Set(['ansi', 'bintext', 'xbin', 'idf']);

export function parseProbeReport(text: string): ProbeReport {
  return probeReportSchema.parse(JSON.parse(text));
}

const toNumber = (value: number | string | undefined): number => {
  const parsed = typeof value === 'number' ? value : Number.parseFloat(value ?? '');
  return Number.isFinite(parsed) ? parsed : 0;
};

const isDefault = (stream: ProbeStream) => stream.disposition?.default === 1;

/** The first default stream of the kind, else the first one. */
function pick(streams: ProbeStream[]): ProbeStream | undefined {
  return streams.find(isDefault) ?? streams[0];
}

/** A video stream with pictures: not cover art, not text shown as a terminal. */
export function pickVideoStream(report: ProbeReport): ProbeStream | undefined {
  return pick(
    report.streams.filter(
      (stream) =>
        stream.codec_type === 'video' &&
        (stream.width ?? 0) > 0 &&
        (stream.height ?? 0) > 0 &&
        stream.disposition?.attached_pic !== 1 &&
        !NON_PICTURE_VIDEO_CODECS.has(stream.codec_name ?? ''),
    ),
  );
}

export function pickAudioStream(report: ProbeReport): ProbeStream | undefined {
  return pick(
    report.streams.filter(
      (stream) => stream.codec_type === 'audio' && (stream.channels ?? 1) > 0 && toNumber(stream.sample_rate) > 0,
    ),
  );
}

/** "30000/1001" -> 29.97; "0/0" -> 0. */
export function parseFrameRate(rate: string | undefined): number {
  const [numerator, denominator] = (rate ?? '').split('/').map(Number);
  if (!numerator || !denominator || !Number.isFinite(numerator / denominator)) return 0;
  return Math.round((numerator / denominator) * 1000) / 1000;
}

/** Display size: phones store portrait video as landscape plus a rotation. */
export function displaySize(stream: ProbeStream): { width: number; height: number } {
  const width = stream.width ?? 0;
  const height = stream.height ?? 0;
  const rotation =
    stream.side_data_list?.find((data) => typeof data.rotation === 'number')?.rotation ?? toNumber(stream.tags?.rotate);
  return Math.abs(rotation) % 180 === 90 ? { width: height, height: width } : { width, height };
}

/** The container's duration, else the longest stream's; 0 when nothing says. */
export function declaredDuration(report: ProbeReport): number {
  const container = toNumber(report.format?.duration);
  if (container > 0) return container;
  return Math.max(0, ...report.streams.map((stream) => toNumber(stream.duration)));
}

/** "mpeg1video video, mp2 audio" for messages. */
export function describeStreams(report: ProbeReport): string {
  if (report.streams.length === 0) return 'no streams';
  return report.streams.map((stream) => `${stream.codec_name ?? 'unknown'} ${stream.codec_type ?? 'data'}`).join(', ');
}
