import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { planStreams, SileroVoiceActivityDetector } from '../../../functions/lib/adapters/silero-vad';
import { speechDocumentSchema } from '../../../functions/lib/contracts/documents';
import { readPcm16MonoWav, type PcmAudio } from '../../../functions/lib/media/wav';
import { detectSpeech } from '../../../functions/lib/speech/voice-activity';
import { sileroModelPath } from '../../support/models';
import { gridClip, GRID_DIR, gridAvailable } from '../../support/paths';

const DEBIAN_FFMPEG = 'ffmpeg';
const CLIPS = ['bbaf2n', 'brbk7n', 'lbax4n', 'lbbc2a', 'lrwp9a', 'sbia1a', 'swiz3n', 'swwp2s'];
/** GRID .align files count in 1/1000 of a frame at 25 fps. */
const ALIGN_UNITS_PER_SECOND = 25_000;

let scratch: string;
let detector: SileroVoiceActivityDetector;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'silero-vad-test-'));
  detector = await SileroVoiceActivityDetector.load(await sileroModelPath());
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * 16 kHz mono 16-bit audio, as extract writes it, from any input ffmpeg reads. Debian's ffmpeg
 * makes it: the static build leaves out the lavfi sources and filters these inputs use.
 */
function audioFrom(name: string, inputArgs: string[]): Promise<PcmAudio> {
  const wav = path.join(scratch, `${name}.wav`);
  execFileSync(DEBIAN_FFMPEG, [
    '-nostdin',
    '-v',
    'error',
    '-y',
    ...inputArgs,
    '-ac',
    '1',
    '-ar',
    '16000',
    '-c:a',
    'pcm_s16le',
    wav,
  ]);
  return readPcm16MonoWav(wav);
}

/** The first and last spoken word of a GRID alignment, in seconds. */
function spokenSpan(alignFile: string): { start: number; end: number } {
  const words = readFileSync(alignFile, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, , word]) => word !== 'sil')
    .map(([start, end]) => ({
      start: Number(start) / ALIGN_UNITS_PER_SECOND,
      end: Number(end) / ALIGN_UNITS_PER_SECOND,
    }));
  return { start: words[0]!.start, end: words.at(-1)!.end };
}

const describeGrid = gridAvailable() ? describe : describe.skip;

describeGrid('Silero VAD on GRID clips', () => {
  it('bounds swwp2s within 0.2 s of its first and last aligned word', async () => {
    // Prepare
    const spoken = spokenSpan(path.join(GRID_DIR, 'swwp2s.align'));

    // Act
    const document = await detectSpeech(await audioFrom('swwp2s', ['-i', gridClip('swwp2s.mpg')]), detector);

    // Assess
    expect(speechDocumentSchema.parse(document).model.sha256).toMatch(/^[0-9a-f]{64}$/);
    const segments = document.segments;
    expect(segments.length).toBeGreaterThan(0);
    expect(Math.abs(segments[0]!.start - spoken.start)).toBeLessThanOrEqual(0.2);
    expect(Math.abs(segments.at(-1)!.end - spoken.end)).toBeLessThanOrEqual(0.2);
  });

  it.each(CLIPS)('finds the one sentence of %s in the middle of its 3 s', async (clip) => {
    // Act
    const { segments, speechSec } = await detectSpeech(
      await audioFrom(clip, ['-i', gridClip(`${clip}.mpg`)]),
      detector,
    );

    // Assess: a six-word sentence takes 1.2 to 2.2 s, after a pause and before another
    expect(speechSec).toBeGreaterThan(1.1);
    expect(speechSec).toBeLessThan(2.4);
    expect(segments[0]!.start).toBeGreaterThan(0.2);
    expect(segments.at(-1)!.end).toBeLessThan(2.95);
    expect(segments.some((segment) => segment.start < 1.5 && segment.end > 1.5)).toBe(true);
  });
});

describe('Silero VAD without speech', () => {
  it('finds no segments in digital silence', async () => {
    const audio = await audioFrom('silence', ['-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '3']);
    expect((await detectSpeech(audio, detector)).segments).toEqual([]);
  });

  it('finds no segments in quiet room noise', async () => {
    const audio = await audioFrom('noise', [
      '-f',
      'lavfi',
      '-i',
      'anoisesrc=r=16000:color=pink:amplitude=0.01',
      '-t',
      '3',
    ]);
    expect((await detectSpeech(audio, detector)).segments).toEqual([]);
  });
});

describeGrid('Silero VAD in parallel streams', () => {
  it('plans streams that cover every window once, each later one warming up first', () => {
    const streams = planStreams(1000, 250);
    expect(streams.map(({ reportsFrom, to }) => [reportsFrom, to])).toEqual([
      [0, 250],
      [250, 500],
      [500, 750],
      [750, 1000],
    ]);
    expect(streams.map((stream) => stream.reportsFrom - stream.from)).toEqual([0, 32, 32, 32]);
  });

  it('finds the same speech in a long recording as one sequential pass does', async () => {
    // Prepare: eight sentences with pauses, 31 s
    const inputs = CLIPS.flatMap((clip) => ['-i', gridClip(`${clip}.mpg`)]);
    const joined = CLIPS.map((_, index) => `[${index}:a]apad=pad_len=14400[a${index}]`).join(';');
    const concat = `${CLIPS.map((_, index) => `[a${index}]`).join('')}concat=n=${CLIPS.length}:v=0:a=1[out]`;
    const audio = await audioFrom('long', [...inputs, '-filter_complex', `${joined};${concat}`, '-map', '[out]']);
    const sequential = await SileroVoiceActivityDetector.load(await sileroModelPath(), { streamWindows: Infinity });

    // Act
    const [inStreams, inOnePass] = await Promise.all([detectSpeech(audio, detector), detectSpeech(audio, sequential)]);

    // Assess
    expect(inStreams.segments.length).toBe(inOnePass.segments.length);
    inStreams.segments.forEach((segment, index) => {
      expect(segment.start).toBeCloseTo(inOnePass.segments[index]!.start, 1);
      expect(segment.end).toBeCloseTo(inOnePass.segments[index]!.end, 1);
    });
    expect(inOnePass.segments.length).toBeGreaterThanOrEqual(CLIPS.length);
  });
});
