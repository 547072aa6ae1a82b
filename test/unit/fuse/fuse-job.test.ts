import { NothingUsableError } from '../../../functions/lib/errors';
import { fuseJob } from '../../../functions/lib/fuse/fuse-job';
import {
  InMemoryObjectStore,
  RecordingJobRepository,
  branchOutput,
  facesDocument,
  lipReadingDocument,
  loadEvent,
  runFuse,
  transcribeJson,
  withActiveSpeakers,
  type SeenWord,
  type SpokenItem,
} from './builders';

const PROCESSED = 'gorggle-processed';
const clock = { now: () => new Date('2025-06-01T10:01:00.000Z') };

/** GRID-style timing: six words from 0.4 s, 0.35 s each, 0.1 s apart. */
const at = (index: number): [number, number] => [0.4 + index * 0.45, 0.75 + index * 0.45];
const spoken = (spec: Array<[string, number]>, speaker = 'spk_0'): SpokenItem[] =>
  spec.map(([text, confidence], index) => [text, ...at(index), confidence, speaker]);
const seen = (spec: Array<[string, number]>): SeenWord[] =>
  spec.map(([text, confidence], index) => [text, ...at(index), confidence]);

const oneFace = facesDocument([{ trackId: '1', from: 0, to: 3, left: 0.35, mouthSwing: 0.06 }], 3);

describe('fuseJob', () => {
  it('takes the lips when the audio mishears a word, and reports WER per modality', async () => {
    // Prepare: noise makes Transcribe hear "s" for "f" with low confidence
    const event = loadEvent('fuse/all-modalities.json');
    const transcribe = transcribeJson(
      spoken([
        ['bin', 0.95],
        ['blue', 0.93],
        ['at', 0.9],
        ['s', 0.35],
        ['two', 0.92],
        ['now', 0.96],
      ]),
    );
    const lipReading = lipReadingDocument([
      seen([
        ['bin', 0.7],
        ['blue', 0.6],
        ['at', 0.5],
        ['f', 0.8],
        ['two', 0.7],
        ['now', 0.75],
      ]),
    ]);

    // Act
    const { outcome, jobs, result, file } = await runFuse({ event, transcribe, faces: oneFace, lipReading });

    // Assess
    expect(result.segments).toHaveLength(1);
    const [segment] = result.segments;
    expect(segment).toMatchObject({
      speaker: 'S1',
      voice: 'spk_0',
      text: 'bin blue at f two now',
      audioText: 'bin blue at s two now',
      visualText: 'bin blue at f two now',
      face: { faceId: '1' },
    });
    expect(segment!.words[3]).toMatchObject({ text: 'f', source: 'visual', confidence: 0.8 });
    expect(result.metrics).toEqual({
      durationSec: 3,
      words: 6,
      speakers: 1,
      wer: { audio: 0.1667, visual: 0, fused: 0 },
    });
    expect(outcome).toEqual({
      status: 'COMPLETED',
      resultKey: `jobs/${event.job.jobId}/result.json`,
      captionKeys: {
        vtt: `jobs/${event.job.jobId}/captions.vtt`,
        srt: `jobs/${event.job.jobId}/captions.srt`,
        audioVtt: `jobs/${event.job.jobId}/audio.vtt`,
        visualVtt: `jobs/${event.job.jobId}/visual.vtt`,
      },
      words: 6,
    });
    expect(result.speakers).toEqual([
      { id: 'S1', label: 'Speaker 1', onScreen: true, faceId: '1', voices: ['spk_0'], speakingSec: 2.1 },
    ]);
    expect(result.speakerEvidence).toBe('mouth-movement');
    expect(file('captions.vtt')).toContain('<v Speaker 1>Speaker 1: bin blue at f two now');
    expect(file('audio.vtt')).toContain('<v Speaker 1>Speaker 1: bin blue at s two now');
    expect(file('visual.vtt')).toContain('<v Speaker 1>Speaker 1: bin blue at f two now');
    expect(jobs.stages.map(({ stage, record }) => [stage, record.status])).toEqual([
      ['fuse', 'running'],
      ['fuse', 'succeeded'],
    ]);
    expect(jobs.finished).toEqual({
      jobId: event.job.jobId,
      status: 'COMPLETED',
      summary: {
        durationSec: 3,
        words: 6,
        speakers: 1,
        transcript: 'bin blue at f two now',
        degradedReasons: [],
        resultKey: `jobs/${event.job.jobId}/result.json`,
      },
    });
  });

  it('keeps the audio when the lips misread a word', async () => {
    // Prepare
    const event = loadEvent('fuse/all-modalities.json');
    const transcribe = transcribeJson(
      spoken([
        ['bin', 0.95],
        ['blue', 0.93],
        ['at', 0.9],
        ['f', 0.88],
        ['two', 0.92],
        ['now', 0.96],
      ]),
    );
    const lipReading = lipReadingDocument([
      seen([
        ['bin', 0.7],
        ['blue', 0.6],
        ['in', 0.3],
        ['f', 0.5],
        ['two', 0.7],
        ['now', 0.75],
      ]),
    ]);

    // Act
    const { result } = await runFuse({ event, transcribe, faces: oneFace, lipReading });

    // Assess
    expect(result.segments[0]!.text).toBe('bin blue at f two now');
    expect(result.segments[0]!.words[2]).toMatchObject({ text: 'at', source: 'audio', confidence: 0.9 });
    expect(result.metrics.wer).toEqual({ audio: 0, visual: 0.1667, fused: 0 });
  });

  it('without active speaker scores, gives two voices the faces whose mouths move, and says so', async () => {
    // Prepare: both faces are on screen throughout; each mouth moves only while its owner talks
    const event = withActiveSpeakers(loadEvent('fuse/all-modalities.json'), 'failed', {
      error: { name: 'ActiveSpeakerDetectionError', message: 'onnxruntime could not load the model' },
    });
    const transcribe = transcribeJson([
      ['are', 0.3, 0.5, 0.9, 'spk_0'],
      ['you', 0.5, 0.7, 0.9, 'spk_0'],
      ['ready', 0.7, 1.2, 0.9, 'spk_0'],
      '?',
      ['yes', 1.4, 1.8, 0.95, 'spk_1'],
      ['I', 1.8, 1.9, 0.9, 'spk_1'],
      ['am', 1.9, 2.3, 0.9, 'spk_1'],
    ]);
    const faces = facesDocument([
      { trackId: 'A', from: 0, to: 3, left: 0.05, mouthSwing: 0.08, talking: [0.3, 1.25] },
      { trackId: 'B', from: 0, to: 3, left: 0.6, mouthSwing: 0.08, talking: [1.35, 2.3] },
    ]);
    const lipReading = lipReadingDocument([], { mouthOpening: { fps: 25, values: [0, 0.2, 0.4, 0.1] } });

    // Act
    const { outcome, result, file } = await runFuse({ event, transcribe, faces, lipReading });

    // Assess
    expect(
      result.segments.map((segment) => [segment.speaker, segment.voice, segment.text, segment.face?.faceId]),
    ).toEqual([
      ['S1', 'spk_0', 'are you ready?', 'A'],
      ['S2', 'spk_1', 'yes I am', 'B'],
    ]);
    expect(result.speakers.map(({ id, faceId, voices }) => ({ id, faceId, voices }))).toEqual([
      { id: 'S1', faceId: 'A', voices: ['spk_0'] },
      { id: 'S2', faceId: 'B', voices: ['spk_1'] },
    ]);
    expect(result.metrics.speakers).toBe(2);
    expect(result.speakerEvidence).toBe('mouth-movement');
    expect(result.modalities.activeSpeakers).toEqual({
      status: 'failed',
      reason: 'faces were matched to speech by mouth movement instead (less reliable)',
      error: { name: 'ActiveSpeakerDetectionError', message: 'onnxruntime could not load the model' },
    });
    expect(outcome.status).toBe('DEGRADED');
    expect(file('captions.vtt')).toMatch(
      /<v Speaker 1>Speaker 1: are you ready\?\n\n2\n00:00:01\.400 --> 00:00:02\.300\n<v Speaker 2>Speaker 2: yes I am/,
    );
    expect(file('captions.srt')).toContain('Speaker 2: yes I am');
  });

  it('marks the job DEGRADED with the reason when lip reading failed', async () => {
    // Prepare
    const event = loadEvent('fuse/lipreading-failed.json');
    const transcribe = transcribeJson(
      spoken([
        ['place', 0.9],
        ['red', 0.4],
      ]),
    );

    // Act
    const { outcome, jobs, result, file } = await runFuse({ event, transcribe, faces: oneFace });

    // Assess
    expect(outcome.status).toBe('DEGRADED');
    expect(jobs.finished?.status).toBe('DEGRADED');
    expect(jobs.finished?.summary.degradedReasons).toEqual([
      'lipreading: LipReadingUnavailableError: the lip-reading server answered 503 for 6 attempts',
    ]);
    expect(result.modalities.lipreading).toEqual({
      status: 'failed',
      error: { name: 'LipReadingUnavailableError', message: 'the lip-reading server answered 503 for 6 attempts' },
    });
    expect(result.segments[0]!.words.map((word) => [word.text, word.source])).toEqual([
      ['place', 'audio'],
      ['red', 'audio'],
    ]);
    expect(result.metrics.wer).toEqual({ audio: 1, fused: 1 });
    expect(file('visual.vtt')).toBe('WEBVTT\n');
  });

  it('captions from the lips alone when there is no audio, naming the speaker by face', async () => {
    // Prepare
    const event = loadEvent('fuse/no-audio.json');
    const faces = facesDocument([{ trackId: '7', from: 0, to: 3, left: 0.3 }]);
    const lipReading = lipReadingDocument([
      seen([
        ['lay', 0.6],
        ['green', 0.3],
      ]),
    ]);

    // Act
    const { outcome, jobs, result } = await runFuse({ event, faces, lipReading });

    // Assess
    expect(outcome.status).toBe('COMPLETED');
    expect(jobs.finished?.summary.degradedReasons).toEqual([]);
    expect(result.modalities.transcribe).toEqual({ status: 'skipped', reason: 'no audio stream' });
    expect(result.segments.map((segment) => [segment.speaker, segment.text, segment.face?.faceId])).toEqual([
      ['S1', 'lay green', '7'],
    ]);
    expect(result.speakers).toEqual([
      { id: 'S1', label: 'Speaker 1', onScreen: true, faceId: '7', voices: [], speakingSec: expect.any(Number) },
    ]);
    expect(result.segments[0]!.words.every((word) => word.source === 'visual')).toBe(true);
    expect(result.metrics.wer).toBeUndefined();
  });

  it('keeps only confident lip-read words where the audio heard nothing', async () => {
    // Prepare: speech at 0.4-1.2 s; the lips also "speak" at 5-6 s, where the audio is silent
    const event = loadEvent('fuse/all-modalities.json');
    const transcribe = transcribeJson(
      spoken([
        ['lay', 0.9],
        ['white', 0.9],
      ]),
    );
    const faces = facesDocument([{ trackId: 'face-2', from: 4.8, to: 6.2, left: 0.3 }]);
    const lipReading = lipReadingDocument([
      seen([
        ['lay', 0.6],
        ['white', 0.6],
      ]),
      [
        ['hello', 5, 5.4, 0.9],
        ['there', 5.5, 6, 0.2],
      ],
    ]);

    // Act
    const { result } = await runFuse({ event, transcribe, faces, lipReading });

    // Assess
    expect(result.segments.map((segment) => [segment.speaker, segment.text, segment.visualText])).toEqual([
      ['S1', 'lay white', 'lay white'],
      ['S2', 'hello', 'hello there'],
    ]);
    expect(result.speakers.map(({ id, onScreen, faceId, voices }) => ({ id, onScreen, faceId, voices }))).toEqual([
      { id: 'S1', onScreen: false, faceId: undefined, voices: ['spk_0'] },
      { id: 'S2', onScreen: true, faceId: 'face-2', voices: [] },
    ]);
    expect(result.segments[1]!.words).toEqual([
      { text: 'hello', start: 5, end: 5.4, confidence: 0.9, source: 'visual', speaker: 'S2' },
    ]);
  });

  it('fails with NothingUsableError when neither the audio nor the lips have words', async () => {
    // Prepare: a silent clip with a face that never speaks
    const event = loadEvent('fuse/all-modalities.json');
    const store = new InMemoryObjectStore()
      .seed(branchOutput(event, 'transcribe'), transcribeJson([]))
      .seed(branchOutput(event, 'faces'), oneFace)
      .seed(branchOutput(event, 'lipreading'), lipReadingDocument([], { reason: 'no_speech' }));
    const jobs = new RecordingJobRepository();

    // Act
    const fusing = fuseJob(event, { store, jobs, clock }, { processedBucket: PROCESSED });

    // Assess
    await expect(fusing).rejects.toThrow(NothingUsableError);
    await expect(fusing).rejects.toThrow(/no speech was transcribed and no lips could be read/);
    expect(jobs.finished).toBeUndefined();
    expect(jobs.stages.at(-1)?.record).toMatchObject({ status: 'failed', error: { name: 'NothingUsableError' } });
    expect([...store.objects.keys()].some((key) => key.startsWith(`${PROCESSED}/jobs/`) && key.endsWith('.vtt'))).toBe(
      false,
    );
  });

  it('treats an unreadable faces.json as a failed modality, not a failed job', async () => {
    // Prepare
    const event = loadEvent('fuse/all-modalities.json');
    const transcribe = transcribeJson(spoken([['soon', 0.9]]));
    const lipReading = lipReadingDocument([seen([['soon', 0.8]])]);

    // Act
    const { outcome, result } = await runFuse({ event, transcribe, faces: { version: 2 }, lipReading });

    // Assess
    expect(outcome.status).toBe('DEGRADED');
    expect(result.modalities.faces).toMatchObject({ status: 'failed', error: { name: 'UnreadableDocumentError' } });
    expect(result.segments[0]).toMatchObject({ text: 'soon', speaker: 'S1', voice: 'spk_0' });
    expect(result.speakers).toMatchObject([{ id: 'S1', onScreen: false, voices: ['spk_0'] }]);
    expect(result.speakerEvidence).toBe('voices');
    expect(result.segments[0]!.face).toBeUndefined();
  });

  it("reports a branch's crash in words, without the Lambda error JSON or its stack trace", async () => {
    // Prepare: the lip-reading check crashed; the branch's Catch passed its Cause on as the message.
    const event = loadEvent('fuse/lipreading-failed.json');
    event.branches[2] = {
      ...event.branches[2]!,
      error: {
        name: 'TypeError',
        message: JSON.stringify({
          errorType: 'TypeError',
          errorMessage: "Cannot read properties of undefined (reading 'id')",
          trace: [
            "TypeError: Cannot read properties of undefined (reading 'id')",
            '    at check (file:///var/task/index.mjs:2:4410)',
          ],
        }),
      },
    };
    const transcribe = transcribeJson(
      spoken([
        ['bin', 0.95],
        ['blue', 0.93],
      ]),
    );

    // Act
    const { jobs, result } = await runFuse({ event, transcribe, faces: oneFace });

    // Assess
    const reasons = jobs.finished?.summary.degradedReasons ?? [];
    expect(jobs.finished?.status).toBe('DEGRADED');
    expect(reasons).toEqual([
      expect.stringMatching(/^lipreading: TypeError: The lipreading step stopped on an unexpected error \(TypeError\)/),
    ]);
    for (const text of [...reasons, JSON.stringify(result.modalities.lipreading)]) {
      expect(text).not.toMatch(/errorType|trace|index\.mjs|\bat check\b/);
    }
  });

  it('takes a branch whose output went missing as failed, with the reason, and the job as DEGRADED', async () => {
    // Prepare: faces.json was deleted between the branch and fuse.
    const event = loadEvent('fuse/all-modalities.json');
    const transcribe = transcribeJson(
      spoken([
        ['bin', 0.95],
        ['blue', 0.93],
      ]),
    );

    // Act
    const { jobs, result } = await runFuse({
      event,
      transcribe,
      lipReading: lipReadingDocument([seen([['bin', 0.7]])]),
    });

    // Assess
    expect(jobs.finished?.status).toBe('DEGRADED');
    expect(result.modalities.faces).toMatchObject({
      status: 'failed',
      reason: 'its output faces.json is missing (deleted or expired)',
    });
  });
});
