import type { FuseInput } from '../../../functions/lib/contracts/pipeline';
import { NothingUsableError } from '../../../functions/lib/errors';
import {
  activeSpeakersDocument,
  facesDocument,
  lipReadingDocument,
  loadEvent,
  runFuse,
  speechDocument,
  transcribeJson,
  withActiveSpeakers,
  withSpeech,
  type SpokenItem,
} from './builders';

/** Six GRID words from `from` on, 0.35 s each and 0.1 s apart, in one voice. */
const sentence = (text: string, from: number, voice = 'spk_0', confidence = 0.9): SpokenItem[] =>
  text.split(' ').map((word, index) => [word, from + index * 0.45, from + index * 0.45 + 0.35, confidence, voice]);

/** Two people side by side for 6 s, as make-two-speaker-clip.sh lays them out. */
const twoFaces = facesDocument(
  [
    { trackId: 'face-1', from: 0, to: 6, left: 0.1 },
    { trackId: 'face-2', from: 0, to: 6, left: 0.6 },
  ],
  6,
);

const lipReadingSkipped = (event: FuseInput): FuseInput => ({
  ...event,
  branches: event.branches.map((branch) =>
    branch.modality === 'lipreading'
      ? {
          modality: 'lipreading',
          status: 'skipped',
          reason: 'no lip-reading model configured (set GORGGLE_MODEL_DIR)',
          attempts: 1,
          waitSeconds: 5,
          startedAt: branch.startedAt,
        }
      : branch,
  ),
});

describe('fuse: speakers are people', () => {
  it('makes two people of one voice label over two speaking faces, each word on its face, and names them in the captions', async () => {
    // Prepare: the local speech stand-in's single voice; LR-ASD sees the left face speak, then the right
    const event = lipReadingSkipped(withSpeech(withActiveSpeakers(loadEvent('fuse/all-modalities.json')), 2, 5));
    const transcribe = transcribeJson([
      ...sentence('bin blue at f two now', 0.4),
      ...sentence('lay red with p nine again', 3.4),
    ]);
    const activeSpeakers = activeSpeakersDocument([
      { trackId: 'face-1', speaks: [[0.3, 3]], to: 6 },
      { trackId: 'face-2', speaks: [[3.3, 6]], to: 6, speaking: 1.5 },
    ]);
    const speech = speechDocument(
      [
        [0.35, 2.85],
        [3.35, 5.85],
      ],
      6,
    );

    // Act
    const { outcome, result, file } = await runFuse({ event, transcribe, faces: twoFaces, activeSpeakers, speech });

    // Assess
    expect(outcome.status).toBe('COMPLETED');
    expect(result.speakerEvidence).toBe('active-speaker');
    expect(result.speakers).toEqual([
      {
        id: 'S1',
        label: 'Speaker 1',
        onScreen: true,
        faceId: 'face-1',
        voices: ['spk_0'],
        speakingSec: 2.1,
        meanSpeakingScore: 2,
      },
      {
        id: 'S2',
        label: 'Speaker 2',
        onScreen: true,
        faceId: 'face-2',
        voices: ['spk_0'],
        speakingSec: 2.1,
        meanSpeakingScore: 1.5,
      },
    ]);
    expect(result.segments.map((segment) => [segment.speaker, segment.face?.faceId, segment.text])).toEqual([
      ['S1', 'face-1', 'bin blue at f two now'],
      ['S2', 'face-2', 'lay red with p nine again'],
    ]);
    for (const segment of result.segments) {
      expect(segment.speakingScore).toBeGreaterThan(0);
      expect(segment.words.every((word) => word.speaker === segment.speaker && (word.speakingScore ?? 0) > 0)).toBe(
        true,
      );
    }
    expect(result.metrics).toMatchObject({ speakers: 2, words: 12, speechSec: 5 });
    expect(result.speech?.segments).toHaveLength(2);
    expect(result.modalities.lipreading).toEqual({
      status: 'skipped',
      reason: 'no lip-reading model configured (set GORGGLE_MODEL_DIR)',
    });
    expect(file('captions.vtt')).toContain('<v Speaker 1>Speaker 1: bin blue at f two now');
    expect(file('captions.vtt')).toContain('<v Speaker 2>Speaker 2: lay red with p nine again');
    expect(file('captions.srt')).toContain('Speaker 2: lay red with p nine again');
  });

  it('ranks two faces seen speaking at once by their scores over the second around each word', async () => {
    // Prepare: face-1 is heard; face-2 mouths along without sound and, on two words, outscores it
    const event = withActiveSpeakers(loadEvent('fuse/all-modalities.json'));
    const transcribe = transcribeJson(sentence('bin blue at f two now', 0.4));
    const activeSpeakers = activeSpeakersDocument([
      { trackId: 'face-1', speaks: [[0.3, 3]], to: 6 },
      {
        trackId: 'face-2',
        speaks: [
          [0.85, 1.2],
          [1.75, 2.1],
        ],
        to: 6,
        speaking: 3,
        listening: 0.2,
      },
    ]);

    // Act
    const { result } = await runFuse({
      event,
      transcribe,
      faces: twoFaces,
      activeSpeakers,
      lipReading: lipReadingDocument([]),
    });

    // Assess
    expect(result.speakers.map(({ id, faceId }) => [id, faceId])).toEqual([['S1', 'face-1']]);
    expect(result.segments.flatMap((segment) => segment.words.map((word) => word.speaker))).toEqual(
      Array(6).fill('S1'),
    );
  });

  it('makes a voice heard while the only face listens an off-screen speaker', async () => {
    // Prepare: face-1 answers (spk_1) after an interviewer off screen asks (spk_0)
    const event = withActiveSpeakers(loadEvent('fuse/all-modalities.json'));
    const transcribe = transcribeJson([
      ...sentence('where were you last night', 0.2, 'spk_0'),
      ...sentence('set white with p two soon', 3.2, 'spk_1'),
    ]);
    const faces = facesDocument([{ trackId: 'face-1', from: 0, to: 6, left: 0.3 }], 6);
    const activeSpeakers = activeSpeakersDocument([{ trackId: 'face-1', speaks: [[3.1, 5.9]], to: 6 }]);

    // Act
    const { result } = await runFuse({ event, transcribe, faces, activeSpeakers, lipReading: lipReadingDocument([]) });

    // Assess
    expect(result.speakers.map(({ id, onScreen, faceId, voices }) => ({ id, onScreen, faceId, voices }))).toEqual([
      { id: 'S1', onScreen: false, faceId: undefined, voices: ['spk_0'] },
      { id: 'S2', onScreen: true, faceId: 'face-1', voices: ['spk_1'] },
    ]);
    expect(result.segments.map((segment) => [segment.speaker, segment.voice, segment.face?.faceId])).toEqual([
      ['S1', 'spk_0', undefined],
      ['S2', 'spk_1', 'face-1'],
    ]);
    expect(result.segments[0]?.speakingScore).toBeUndefined();
  });

  it('keeps both speakers when two people talk over each other', async () => {
    // Prepare: spk_1 starts while spk_0 is still talking; LR-ASD sees both mouths move then
    const event = withActiveSpeakers(loadEvent('fuse/all-modalities.json'));
    const transcribe = transcribeJson([
      ...sentence('bin blue at f two now', 0.4, 'spk_0'),
      ...sentence('no wait stop right there please', 1.8, 'spk_1'),
    ]);
    const activeSpeakers = activeSpeakersDocument([
      { trackId: 'face-1', speaks: [[0.3, 3]], to: 6 },
      { trackId: 'face-2', speaks: [[1.7, 4.5]], to: 6, speaking: 3 },
    ]);

    // Act
    const { result, file } = await runFuse({
      event,
      transcribe,
      faces: twoFaces,
      activeSpeakers,
      lipReading: lipReadingDocument([]),
    });

    // Assess
    expect(result.speakers.map(({ id, faceId, voices }) => [id, faceId, voices])).toEqual([
      ['S1', 'face-1', ['spk_0']],
      ['S2', 'face-2', ['spk_1']],
    ]);
    expect(result.segments.map((segment) => [segment.speaker, segment.text])).toEqual([
      ['S1', 'bin blue at f two now'],
      ['S2', 'no wait stop right there please'],
    ]);
    const [first, second] = result.segments;
    expect(second!.start).toBeLessThan(first!.end);
    expect(file('captions.vtt')).toContain('<v Speaker 2>Speaker 2: no wait');
  });

  it('returns an empty success, not invented words, when voice activity found no speech', async () => {
    // Prepare: a silent clip on which the speech recogniser still "heard" a word in the hiss
    const event = withSpeech(withActiveSpeakers(loadEvent('fuse/all-modalities.json')), 0, 0);
    const transcribe = transcribeJson([['hmm', 1, 1.3, 0.4, 'spk_0']]);
    const lipReading = lipReadingDocument([[['bin', 0.5, 0.8, 0.9]]]);
    const activeSpeakers = { ...activeSpeakersDocument([]), reason: 'no speech' };

    // Act
    const { outcome, jobs, result, file } = await runFuse({
      event,
      transcribe,
      faces: twoFaces,
      activeSpeakers,
      lipReading,
      speech: speechDocument([], 3),
    });

    // Assess
    expect(outcome).toMatchObject({ status: 'COMPLETED', words: 0 });
    expect(result).toMatchObject({ emptyReason: 'no speech', segments: [], speakers: [] });
    expect(result.metrics).toMatchObject({ words: 0, speakers: 0, speechSec: 0 });
    expect(jobs.finished?.summary).toMatchObject({ words: 0, speakers: 0, transcript: '' });
    expect(file('captions.vtt')).toBe('WEBVTT\n');
    expect(file('captions.srt')).toBe('');
  });

  it('takes speakers from voice labels alone for an audio file', async () => {
    // Prepare: an .mp3: no picture, so no faces, active speakers or lip reading
    const base = loadEvent('fuse/all-modalities.json');
    const event: FuseInput = {
      ...base,
      job: { ...base.job, media: { ...base.job.media, hasVideo: false, width: 0, height: 0, fps: 0 } },
      branches: base.branches.map((branch) =>
        branch.modality === 'transcribe'
          ? branch
          : {
              modality: branch.modality,
              status: 'skipped',
              reason: 'no video stream',
              attempts: 0,
              waitSeconds: 5,
              startedAt: branch.startedAt,
            },
      ),
    };
    const transcribe = transcribeJson([
      ...sentence('good morning everyone', 0.2, 'spk_0'),
      ...sentence('morning', 2.4, 'spk_1'),
    ]);

    // Act
    const { outcome, result } = await runFuse({ event, transcribe });

    // Assess
    expect(outcome.status).toBe('COMPLETED');
    expect(result.speakerEvidence).toBe('voices');
    expect(result.modalities).toMatchObject({
      faces: { status: 'skipped', reason: 'no video stream' },
      activeSpeakers: { status: 'skipped' },
      lipreading: { status: 'skipped', reason: 'no video stream' },
    });
    expect(result.speakers.map(({ id, onScreen, voices }) => [id, onScreen, voices])).toEqual([
      ['S1', false, ['spk_0']],
      ['S2', false, ['spk_1']],
    ]);
  });

  it('keeps a stand-in lip-reading model out of the captions and labels its words where they are shown', async () => {
    // Prepare: the generated test model "reads" a GRID sentence it memorised
    const event = withActiveSpeakers(loadEvent('fuse/all-modalities.json'));
    const transcribe = transcribeJson(sentence('place white in j three please', 0.4));
    const lipReading = {
      ...lipReadingDocument([
        'bin blue at f two now'.split(' ').map((word, index) => [word, 0.4 + index * 0.45, 0.75 + index * 0.45, 1]),
      ] as Array<Array<[string, number, number, number]>>),
      model: { name: 'gorggle-test-seq2seq', mode: 'avsr' },
    };
    const activeSpeakers = activeSpeakersDocument([{ trackId: 'face-1', speaks: [[0.3, 3]], to: 3 }]);
    const faces = facesDocument([{ trackId: 'face-1', from: 0, to: 3, left: 0.3 }], 3);

    // Act
    const { result, file } = await runFuse({ event, transcribe, faces, activeSpeakers, lipReading });

    // Assess
    expect(result.segments.map((segment) => [segment.text, segment.visualText])).toEqual([
      ['place white in j three please', ''],
    ]);
    expect(result.modalities.lipreading.reason).toMatch(/stand-in test model gorggle-test-seq2seq/);
    expect(file('captions.vtt')).not.toMatch(/bin|blue/);
    expect(file('visual.vtt')).toContain('NOTE These words come from the stand-in test model gorggle-test-seq2seq');
    expect(file('visual.vtt')).toContain('<v TEST MODEL, not real lip reading>TEST MODEL, not real lip reading: bin');
  });

  it('fails with the reason when a video has no sound and no lip-reading model', async () => {
    // Prepare
    const base = loadEvent('fuse/no-audio.json');
    const event = lipReadingSkipped(base);

    // Act
    const fusing = runFuse({ event, faces: facesDocument([{ trackId: 'face-1', from: 0, to: 3, left: 0.3 }], 3) });

    // Assess
    await expect(fusing).rejects.toThrow(NothingUsableError);
    await expect(fusing).rejects.toThrow(
      /transcribe: skipped: no audio stream; lipreading: skipped: no lip-reading model configured \(set GORGGLE_MODEL_DIR\)/,
    );
  });
});
