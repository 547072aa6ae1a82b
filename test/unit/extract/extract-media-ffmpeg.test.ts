import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FfmpegMediaToolkit } from '../../../functions/lib/adapters/ffmpeg-media-toolkit';
import type { PipelineInput } from '../../../functions/lib/contracts/pipeline';
import { extractMedia } from '../../../functions/lib/media/extract-media';
import { contains, makeFiveHourClip, makeHlsPolyglot, makeSecretWav } from '../../support/hostile-media';
import { FFMPEG_DIR_FOR_TESTS, FFPROBE_DIR_FOR_TESTS, gridClip } from '../../support/paths';
import { DirectoryObjectStore, StageRecordingJobs } from './fakes';

/** Runs the real static binaries that the extract zip carries. */
const FFMPEG = path.join(FFMPEG_DIR_FOR_TESTS, 'ffmpeg');
const FFPROBE = path.join(FFPROBE_DIR_FOR_TESTS, 'ffprobe');
/** Debian's ffmpeg makes the test media (lavfi sources the static build leaves out). */
const DEBIAN_FFMPEG = 'ffmpeg';
const MAX_MEDIA_SECONDS = 3600;
const UPLOADS = 'uploads-bucket';
const PROCESSED = 'processed-bucket';

let scratch: string;
let store: DirectoryObjectStore;
let workRoot: string;
let jobs: StageRecordingJobs;

beforeEach(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'extract-test-'));
  store = new DirectoryObjectStore(path.join(scratch, 's3'));
  workRoot = path.join(scratch, 'lambda-tmp');
  execFileSync('mkdir', ['-p', workRoot]);
  jobs = new StageRecordingJobs();
});

afterEach(() => rmSync(scratch, { recursive: true, force: true }));

const media = new FfmpegMediaToolkit({
  ffmpegPath: FFMPEG,
  ffprobePath: FFPROBE,
  timeoutMs: () => 60_000,
  maxOutputSeconds: MAX_MEDIA_SECONDS + 1,
});

/** Generates a file with ffmpeg into the scratch folder (never into the repository). */
function generate(name: string, args: string[]): string {
  const file = path.join(scratch, name);
  execFileSync(DEBIAN_FFMPEG, ['-nostdin', '-v', 'error', '-y', ...args, file]);
  return file;
}

async function uploadAndExtract(localFile: string, key: string) {
  const jobId = 'job0123456789abcdef';
  await store.put({ bucket: UPLOADS, key }, localFile);
  const input: PipelineInput = {
    jobId,
    source: { bucket: UPLOADS, key, etag: 'etag', size: 1 },
    kind: 'upload',
  };
  return extractMedia(
    input,
    { jobs, objects: store, media, clock: { now: () => new Date() } },
    {
      processedBucket: PROCESSED,
      workRoot,
      maxMediaSeconds: MAX_MEDIA_SECONDS,
    },
  );
}

/** Debian's ffprobe's view of an output (the poster's JPEG among them), to check what extract wrote rather than what it says. */
function probeOutput(key: string) {
  const text = execFileSync('ffprobe', [
    '-v',
    'error',
    '-show_streams',
    '-show_format',
    '-of',
    'json',
    store.pathOf({ bucket: PROCESSED, key }),
  ]).toString();
  return JSON.parse(text) as {
    streams: Array<Record<string, string | number>>;
    format: { format_name: string; duration: string };
  };
}

const processedKeys = () => readdirSync(path.join(store.root, PROCESSED, 'jobs', 'job0123456789abcdef')).sort();

describe('extractMedia with the real static ffmpeg', () => {
  it('turns a GRID clip into a 16 kHz mono wav, a 25 fps H.264 mp4, a poster and the probe', async () => {
    // Act
    const facts = await uploadAndExtract(gridClip('bbaf2n.mpg'), 'uploads/bbaf2n.mpg');

    // Assess
    expect(facts).toMatchObject({ hasAudio: true, hasVideo: true, width: 360, height: 288, fps: 25 });
    expect(facts.durationSec).toBeGreaterThan(2.8);
    expect(facts.durationSec).toBeLessThan(3.2);
    expect(facts.audio).toEqual({ bucket: PROCESSED, key: 'jobs/job0123456789abcdef/audio.wav' });
    expect(processedKeys()).toEqual(['audio.wav', 'poster.jpg', 'probe.json', 'video.mp4']);

    const wav = probeOutput(facts.audio!.key).streams[0]!;
    expect(wav).toMatchObject({ codec_name: 'pcm_s16le', sample_rate: '16000', channels: 1 });

    const mp4 = probeOutput(facts.video!.key);
    const video = mp4.streams.find((stream) => stream.codec_type === 'video')!;
    expect(video).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p', width: 360, height: 288 });
    expect(video.avg_frame_rate).toBe('25/1');
    expect(video.r_frame_rate).toBe('25/1');
    expect(mp4.streams.find((stream) => stream.codec_type === 'audio')).toMatchObject({ codec_name: 'aac' });

    expect(probeOutput(facts.poster!.key).streams[0]).toMatchObject({ codec_name: 'mjpeg', width: 360 });
    const probe = JSON.parse(readFileSync(store.pathOf(facts.probe), 'utf8'));
    expect(probe.format.format_name).toBe('mpeg');

    expect(jobs.stageUpdates.map((update) => update.record.status)).toEqual(['running', 'succeeded']);
    expect(jobs.stageUpdates[1]!.record).toMatchObject({ facts: { hasAudio: true, hasVideo: true, fps: 25 } });
    expect(readdirSync(workRoot)).toEqual([]);
  });

  it.each([
    ['mp3', 'libmp3lame'],
    ['wav', 'pcm_s16le'],
    ['ogg', 'libvorbis'],
    ['opus', 'libopus'],
    ['flac', 'flac'],
  ])('takes a .%s audio file (%s) as speech alone', async (extension, codec) => {
    // Prepare
    const file = generate(`voice.${extension}`, ['-f', 'lavfi', '-i', 'sine=frequency=300:duration=1', '-c:a', codec]);

    // Act
    const facts = await uploadAndExtract(file, `uploads/voice memo.${extension}`);

    // Assess
    expect(facts).toMatchObject({ hasAudio: true, hasVideo: false });
    expect(facts.durationSec).toBeCloseTo(1, 0);
    expect(probeOutput(facts.audio!.key).streams[0]).toMatchObject({ codec_name: 'pcm_s16le', sample_rate: '16000' });
  });

  it('extracts only audio from an audio-only file', async () => {
    // Prepare
    const tone = generate('tone.m4a', ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-c:a', 'aac']);

    // Act
    const facts = await uploadAndExtract(tone, 'uploads/tone.m4a');

    // Assess
    expect(facts).toMatchObject({ hasAudio: true, hasVideo: false, width: 0, height: 0, fps: 0 });
    expect(facts.durationSec).toBeCloseTo(2, 0);
    expect(facts.video).toBeUndefined();
    expect(facts.poster).toBeUndefined();
    expect(processedKeys()).toEqual(['audio.wav', 'probe.json']);
    expect(probeOutput(facts.audio!.key).streams[0]).toMatchObject({ sample_rate: '16000', channels: 1 });
  });

  it('makes a silent video even-sized and 25 fps CFR, with no audio output', async () => {
    // Prepare: odd dimensions at 30 fps, which x264 in yuv420p cannot take as they are.
    const silent = generate('silent.mkv', [
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=321x241:rate=30:duration=2',
      '-c:v',
      'mpeg4',
    ]);

    // Act
    const facts = await uploadAndExtract(silent, 'uploads/silent.mkv');

    // Assess
    expect(facts).toMatchObject({ hasAudio: false, hasVideo: true, width: 321, height: 241, fps: 30 });
    expect(facts.audio).toBeUndefined();
    expect(processedKeys()).toEqual(['poster.jpg', 'probe.json', 'video.mp4']);
    const mp4 = probeOutput(facts.video!.key);
    expect(mp4.streams).toHaveLength(1);
    expect(mp4.streams[0]).toMatchObject({ codec_name: 'h264', width: 320, height: 240, avg_frame_rate: '25/1' });
  });

  it.each([
    {
      case: 'a truncated GRID clip (its first 8 KB)',
      key: 'uploads/cut.mpg',
      make: () => {
        const file = path.join(scratch, 'cut.mpg');
        writeFileSync(file, readFileSync(gridClip('bbaf2n.mpg')).subarray(0, 8 * 1024));
        return file;
      },
      message: /holds only 0\.\d\d s of playable media .*cut off or damaged\. Upload the complete file again\./,
    },
    {
      case: 'non-video bytes named .mp4',
      key: 'uploads/notes.mp4',
      make: () => {
        const file = path.join(scratch, 'notes.mp4');
        writeFileSync(file, 'These are meeting notes, not a video.\n'.repeat(50));
        return file;
      },
      message:
        /^The file is not a video or audio file we can read: ffprobe could not open it \(.*Invalid data found when processing input\)\. Upload a video \(MP4, MOV, MKV or WebM\) or an audio file \(MP3, M4A, WAV, OGG or FLAC\)\.$/,
    },
    {
      case: 'text named .txt, which an unguarded ffprobe reads as a terminal screen',
      key: 'uploads/notes.txt',
      make: () => {
        const file = path.join(scratch, 'notes.txt');
        writeFileSync(file, 'These are meeting notes, not a video.\n'.repeat(50));
        return file;
      },
      message: /^The file is not a video or audio file we can read: ffprobe could not open it .*Upload a video \(MP4/,
    },
    {
      case: 'an MKV file named .mp4',
      key: 'uploads/renamed.mp4',
      make: () =>
        generate('renamed.mkv', ['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=25:duration=1', '-c:v', 'mpeg4']),
      message:
        /^The file is not a video or audio file we can read: it is named \.mp4 but holds 'matroska,webm' data, not MP4\/MOV\./,
    },
    {
      case: 'a zero-byte object',
      key: 'uploads/empty.mp4',
      make: () => {
        const file = path.join(scratch, 'empty.mp4');
        writeFileSync(file, '');
        return file;
      },
      message: /^The file is empty \(0 bytes\)\. Upload the video again\.$/,
    },
  ])('rejects $case with UnsupportedMediaError and records the failed stage', async ({ key, make, message }) => {
    // Prepare
    const file = make();

    // Act
    const result = uploadAndExtract(file, key);

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'UnsupportedMediaError',
      message: expect.stringMatching(message),
    });
    const failed = jobs.stageUpdates.at(-1)!.record;
    expect(failed).toMatchObject({ status: 'failed', error: { name: 'UnsupportedMediaError' } });
    expect(failed.endedAt).toEqual(expect.any(String));
    expect(readdirSync(workRoot)).toEqual([]);
  });

  it('rejects a faststart mp4 cut in half, whose header promises more than it holds', async () => {
    // Prepare: the moov atom comes first, so ffprobe reads the full duration from the header.
    const whole = generate('whole.mp4', [
      '-i',
      gridClip('bbaf2n.mpg'),
      '-c:v',
      'libx264',
      '-c:a',
      'aac',
      '-movflags',
      '+faststart',
    ]);
    const cut = path.join(scratch, 'cut.mp4');
    const bytes = readFileSync(whole);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));

    // Act
    const result = uploadAndExtract(cut, 'uploads/cut.mp4');

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'UnsupportedMediaError',
      message: expect.stringMatching(/stops playing at \d\.\d\d s although it says it lasts 3\.\d\d s/),
    });
  });

  it('refuses the HLS polyglot named .mp4 as unsupported media, and reads nothing of the file it points at', async () => {
    // Prepare
    const secret = await makeSecretWav(scratch);
    const polyglot = await makeHlsPolyglot(scratch, secret.path);

    // Act
    const result = uploadAndExtract(polyglot, 'uploads/polyglot.mp4');

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'UnsupportedMediaError',
      message: expect.stringMatching(/named \.mp4 but holds 'mpeg' data, not MP4\/MOV/),
    });
    const written = readdirSync(path.join(store.root, PROCESSED), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => readFileSync(path.join(entry.parentPath, entry.name)));
    expect(written.length).toBeGreaterThan(0);
    expect(written.filter((bytes) => contains(bytes, secret.marker))).toEqual([]);
  });

  it('refuses a 5-hour 16×16 video by its duration before converting anything', async () => {
    // Prepare
    const long = await makeFiveHourClip(scratch);

    // Act
    const result = uploadAndExtract(long, 'uploads/five-hours.mp4');

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'UnsupportedMediaError',
      message:
        'The media lasts 5 h, longer than the 1 h this deployment takes. Upload a shorter clip, or split it into parts.',
    });
    expect(processedKeys()).toEqual(['probe.json']);
  });
});
