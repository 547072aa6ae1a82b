import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PipelineInput } from '../../../functions/lib/contracts/pipeline';
import { extractMedia } from '../../../functions/lib/media/extract-media';
import { MediaToolError, type MediaToolkit } from '../../../functions/lib/media/media-toolkit';
import {
  displaySize,
  parseFrameRate,
  parseProbeReport,
  pickAudioStream,
  pickVideoStream,
} from '../../../functions/lib/media/probe-report';
import { DirectoryObjectStore, StageRecordingJobs } from './fakes';

/**
 * These tests script the media tools to reach decisions real files rarely trigger (time
 * limits, rotated phone video, cover art); extract-media-ffmpeg.test.ts runs the real ones.
 */

const sourceProbe = (streams: object[], duration = '4.0') =>
  JSON.stringify({ streams, format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration } });
const h264 = {
  index: 0,
  codec_type: 'video',
  codec_name: 'h264',
  width: 1920,
  height: 1080,
  avg_frame_rate: '30000/1001',
};
const aac = { index: 1, codec_type: 'audio', codec_name: 'aac', sample_rate: '48000', channels: 2 };

/** A toolkit that writes placeholder outputs and reports the durations it is told to. */
function scriptedToolkit(script: {
  source: string;
  outputSeconds?: number;
  failOn?: keyof MediaToolkit;
  error?: Error;
}) {
  const calls: Array<{ method: keyof MediaToolkit; args: unknown[] }> = [];
  const step = async (method: keyof MediaToolkit, args: unknown[], output?: string) => {
    calls.push({ method, args });
    if (script.failOn === method) throw script.error;
    if (output) await writeFile(output, 'placeholder');
  };
  const toolkit: MediaToolkit = {
    probe: async (file) => {
      await step('probe', [file]);
      return path.basename(file).startsWith('source')
        ? script.source
        : JSON.stringify({ streams: [], format: { duration: String(script.outputSeconds ?? 4) } });
    },
    extractAudio: (input, output, index, demuxer) => step('extractAudio', [input, output, index, demuxer], output),
    transcodeVideo: (input, output, streams, demuxer) =>
      step('transcodeVideo', [input, output, streams, demuxer], output),
    capturePoster: (input, output, at) => step('capturePoster', [input, output, at], output),
  };
  return { toolkit, calls };
}

let scratch: string;
let store: DirectoryObjectStore;
let jobs: StageRecordingJobs;
const input: PipelineInput = {
  jobId: 'job-1',
  source: { bucket: 'uploads', key: 'uploads/phone.MOV', etag: 'e', size: 11 },
  kind: 'upload',
};

beforeEach(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'extract-unit-'));
  store = new DirectoryObjectStore(path.join(scratch, 's3'));
  const source = path.join(scratch, 'source-bytes');
  writeFileSync(source, 'not empty');
  await store.put({ bucket: 'uploads', key: 'uploads/phone.MOV' }, source);
  jobs = new StageRecordingJobs();
});

afterEach(() => rmSync(scratch, { recursive: true, force: true }));

const run = (toolkit: MediaToolkit) =>
  extractMedia(
    input,
    { jobs, objects: store, media: toolkit, clock: { now: () => new Date('2025-11-21T10:00:00Z') } },
    {
      processedBucket: 'processed',
      workRoot: scratch,
      maxMediaSeconds: 3600,
    },
  );

describe('extractMedia decisions', () => {
  it('reports display size for rotated phone video and passes the chosen stream indexes to ffmpeg', async () => {
    // Prepare
    const rotated = { ...h264, index: 1, side_data_list: [{ side_data_type: 'Display Matrix', rotation: -90 }] };
    const cover = {
      index: 2,
      codec_type: 'video',
      codec_name: 'mjpeg',
      width: 600,
      height: 600,
      disposition: { attached_pic: 1 },
    };
    const { toolkit, calls } = scriptedToolkit({ source: sourceProbe([{ ...aac, index: 0 }, rotated, cover]) });

    // Act
    const facts = await run(toolkit);

    // Assess
    expect(facts).toMatchObject({ width: 1080, height: 1920, fps: 29.97, hasAudio: true, hasVideo: true });
    expect(calls.find((call) => call.method === 'extractAudio')!.args[2]).toBe(0);
    expect(calls.find((call) => call.method === 'transcodeVideo')!.args[2]).toEqual({ video: 1, audio: 0 });
    // ffmpeg opens the upload only as the container the probe found.
    expect(calls.filter((call) => call.args[3] === 'mov').map((call) => call.method)).toEqual([
      'extractAudio',
      'transcodeVideo',
    ]);
    expect(calls.find((call) => call.method === 'capturePoster')!.args[2]).toBe(1);
  });

  it('downloads the version of the upload the job was made from', async () => {
    // Prepare
    const { toolkit } = scriptedToolkit({ source: sourceProbe([h264]) });
    const downloads: unknown[] = [];
    const download = store.download.bind(store);
    store.download = async (ref, file) => {
      downloads.push(ref);
      await download(ref, file);
    };

    // Act
    await extractMedia(
      { ...input, source: { ...input.source, versionId: 'v-7' } },
      { jobs, objects: store, media: toolkit, clock: { now: () => new Date('2025-11-21T10:00:00Z') } },
      { processedBucket: 'processed', workRoot: scratch, maxMediaSeconds: 3600 },
    );

    // Assess
    expect(downloads).toEqual([{ bucket: 'uploads', key: 'uploads/phone.MOV', versionId: 'v-7' }]);
  });

  it('takes the poster from the first frame of a video shorter than two seconds', async () => {
    // Prepare
    const { toolkit, calls } = scriptedToolkit({ source: sourceProbe([h264], '1.2'), outputSeconds: 1.2 });

    // Act
    await run(toolkit);

    // Assess
    const poster = calls.find((call) => call.method === 'capturePoster')!;
    expect(poster.args[0]).toMatch(/video\.mp4$/);
    expect(poster.args[2]).toBe(0);
  });

  it('names the format and streams it found when there is nothing to play', async () => {
    // Prepare
    const subtitles = { index: 0, codec_type: 'subtitle', codec_name: 'mov_text' };
    const { toolkit } = scriptedToolkit({
      source: sourceProbe([subtitles, { ...h264, index: 1, disposition: { attached_pic: 1 } }]),
    });

    // Act
    const result = run(toolkit);

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'UnsupportedMediaError',
      message:
        "The file is not a video or audio file we can read: ffprobe found no audio or video stream (format: 'mov,mp4,m4a,3gp,3g2,mj2', " +
        'streams: mov_text subtitle, h264 video). Upload a video (MP4, MOV, MKV or WebM) or an audio file (MP3, M4A, WAV, OGG or FLAC).',
    });
  });

  it('turns an ffmpeg killed at its time limit into an error that asks for a shorter video', async () => {
    // Prepare
    const { toolkit } = scriptedToolkit({
      source: sourceProbe([h264, aac]),
      failOn: 'transcodeVideo',
      error: new MediaToolError('ffmpeg', 'ffmpeg ran for more than 600 s', true),
    });

    // Act
    const result = run(toolkit);

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'UnsupportedMediaError',
      message: expect.stringMatching(
        /took longer than this step allows \(ffmpeg ran for more than 600 s\)\. Upload a shorter video/,
      ),
    });
    expect(jobs.stageUpdates.at(-1)!.record).toMatchObject({
      status: 'failed',
      startedAt: '2025-11-21T10:00:00.000Z',
      endedAt: '2025-11-21T10:00:00.000Z',
      error: { name: 'UnsupportedMediaError' },
    });
    expect(readdirSync(scratch).filter((name) => name.startsWith('extract-'))).toEqual([]);
  });

  it('keeps the original error when recording the failed stage fails too', async () => {
    // Prepare
    const { toolkit } = scriptedToolkit({ source: sourceProbe([h264]) });
    store.download = async () => {
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    };
    const updateStage = jobs.updateStage.bind(jobs);
    jobs.updateStage = async (jobId, stage, record) => {
      if (record.status === 'failed') throw new Error('DynamoDB is down');
      return updateStage(jobId, stage, record);
    };

    // Act
    const result = run(toolkit);

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'TimeoutError', message: 'socket hang up' });
  });
});

describe('an upload that carries its own duration limits (a bot contribution)', () => {
  const limited = (toolkit: MediaToolkit) =>
    extractMedia(
      { ...input, kind: 'contribution', limits: { minDurationSec: 1, maxDurationSec: 20 } },
      { jobs, objects: store, media: toolkit, clock: { now: () => new Date('2025-11-21T10:00:00Z') } },
      { processedBucket: 'processed', workRoot: scratch, maxMediaSeconds: 3 * 3600 },
    );

  it('refuses a file whose container says it is longer, before decoding any of it', async () => {
    // Prepare: an hour-long video document, whose duration no client declared
    const { toolkit, calls } = scriptedToolkit({ source: sourceProbe([h264, aac], '3600.0') });

    // Act
    const result = limited(toolkit);

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'MediaTooLongError',
      message: 'The video lasts 3600.0 s; this upload may last at most 20 s. Trim it and upload it again.',
    });
    expect(calls.map((call) => call.method)).toEqual(['probe']);
  });

  it('refuses a file that decodes to longer than allowed, whatever its header declared', async () => {
    const { toolkit } = scriptedToolkit({ source: sourceProbe([h264, aac], '4.0'), outputSeconds: 45 });
    await expect(limited(toolkit)).rejects.toMatchObject({ name: 'MediaTooLongError' });
  });

  it('refuses a file shorter than allowed, and takes one within the limits', async () => {
    const short = scriptedToolkit({ source: sourceProbe([h264, aac], '0.6'), outputSeconds: 0.6 });
    await expect(limited(short.toolkit)).rejects.toMatchObject({ name: 'MediaTooShortError' });
    const fine = scriptedToolkit({ source: sourceProbe([h264, aac], '4.0'), outputSeconds: 4 });
    await expect(limited(fine.toolkit)).resolves.toMatchObject({ durationSec: 4 });
  });
});

describe('probe report helpers', () => {
  it('prefers the default stream and skips cover art and silent placeholders', () => {
    // Prepare
    const report = parseProbeReport(
      JSON.stringify({
        streams: [
          { index: 0, codec_type: 'audio', codec_name: 'aac', sample_rate: '0', channels: 0 },
          { index: 1, codec_type: 'audio', codec_name: 'opus', sample_rate: '48000', channels: 2 },
          {
            index: 2,
            codec_type: 'audio',
            codec_name: 'aac',
            sample_rate: '44100',
            channels: 2,
            disposition: { default: 1 },
          },
          {
            index: 3,
            codec_type: 'video',
            codec_name: 'png',
            width: 500,
            height: 500,
            disposition: { attached_pic: 1 },
          },
        ],
      }),
    );

    // Act
    const audio = pickAudioStream(report);
    const video = pickVideoStream(report);

    // Assess
    expect(audio?.index).toBe(2);
    expect(video).toBeUndefined();
  });

  it('parses frame rates and rotation the way ffprobe writes them', () => {
    expect(parseFrameRate('25/1')).toBe(25);
    expect(parseFrameRate('30000/1001')).toBe(29.97);
    expect(parseFrameRate('0/0')).toBe(0);
    expect(parseFrameRate(undefined)).toBe(0);
    expect(displaySize({ index: 0, width: 1920, height: 1080, tags: { rotate: '270' } })).toEqual({
      width: 1080,
      height: 1920,
    });
    expect(displaySize({ index: 0, width: 1920, height: 1080, side_data_list: [{ rotation: 180 }] })).toEqual({
      width: 1920,
      height: 1080,
    });
  });
});
