import { parsePocketsphinxOutput } from '../../scripts/local-stack/emulators/transcribe/pocketsphinx';
import {
  buildTranscriptDocument,
  formatConfidence,
  formatSeconds,
} from '../../scripts/local-stack/emulators/transcribe/transcript-document';
import { outputKeyFor } from '../../scripts/local-stack/emulators/transcribe/emulator';
import { parseMediaUri } from '../../scripts/local-stack/emulators/s3-access';

/** pocketsphinx_continuous -time yes on two utterances (real output, shortened). */
const TWO_UTTERANCES = [
  "i've been to know",
  '<s> 0.340 0.540 0.999000',
  '<sil> 0.550 0.720 0.673851',
  "i've 0.730 0.830 0.145246",
  'been 0.840 1.190 0.142356',
  'to(3) 1.200 1.420 0.079112',
  '[NOISE] 1.430 1.600 0.310853',
  'know 1.860 2.090 0.907818',
  '</s> 2.100 2.540 1.000000',
  'why is reddit',
  '<s> 3.130 3.390 0.999100',
  'why(2) 3.570 3.750 0.115481',
  'is 3.760 3.840 0.179982',
  'reddit 3.850 4.230 0.104699',
  '</s> 5.270 5.580 1.000000',
  '',
].join('\n');

describe('parsePocketsphinxOutput', () => {
  it('splits utterances, drops markers and fillers, and strips pronunciation variants', () => {
    // Act
    const utterances = parsePocketsphinxOutput(TWO_UTTERANCES);

    // Assess
    expect(utterances.map((u) => u.words.map((w) => w.word))).toEqual([
      ["i've", 'been', 'to', 'know'],
      ['why', 'is', 'reddit'],
    ]);
    expect(utterances[0]!.words[0]).toEqual({ word: "i've", start: 0.73, end: 0.83, confidence: 0.145246 });
  });

  it('gives nothing for silence', () => {
    expect(parsePocketsphinxOutput('\n<s> 0.000 0.300 1.000000\n</s> 0.310 0.500 1.000000\n')).toEqual([]);
  });
});

describe('buildTranscriptDocument', () => {
  const utterances = parsePocketsphinxOutput(TWO_UTTERANCES);

  it('writes sentences as Transcribe does: string numbers, ids, a full stop per utterance', () => {
    // Act
    const document = buildTranscriptDocument('job-1', utterances, { speakerLabels: true });

    // Assess
    expect(document.results.transcripts).toEqual([{ transcript: "I've been to know. Why is reddit." }]);
    expect(document.results.items[0]).toEqual({
      id: 0,
      type: 'pronunciation',
      start_time: '0.73',
      end_time: '0.83',
      alternatives: [{ confidence: '0.1452', content: "I've" }],
      speaker_label: 'spk_0',
    });
    expect(document.results.items[4]).toEqual({
      id: 4,
      type: 'punctuation',
      alternatives: [{ confidence: '0.0', content: '.' }],
      speaker_label: 'spk_0',
    });
    expect(document.results.audio_segments).toEqual([
      {
        id: 0,
        transcript: "I've been to know.",
        start_time: '0.73',
        end_time: '2.09',
        speaker_label: 'spk_0',
        items: [0, 1, 2, 3, 4],
      },
      {
        id: 1,
        transcript: 'Why is reddit.',
        start_time: '3.57',
        end_time: '4.23',
        speaker_label: 'spk_0',
        items: [5, 6, 7, 8],
      },
    ]);
    expect(document.results.speaker_labels).toMatchObject({ speakers: 1, channel_label: 'ch_0' });
    expect(document.results.speaker_labels!.segments[1]).toEqual({
      start_time: '3.57',
      end_time: '4.23',
      speaker_label: 'spk_0',
      items: [
        { start_time: '3.57', end_time: '3.75', speaker_label: 'spk_0' },
        { start_time: '3.76', end_time: '3.84', speaker_label: 'spk_0' },
        { start_time: '3.85', end_time: '4.23', speaker_label: 'spk_0' },
      ],
    });
  });

  it('leaves speaker labels out when they were not asked for, and is empty for no speech', () => {
    // Act
    const unlabelled = buildTranscriptDocument('job-2', utterances, { speakerLabels: false });
    const silent = buildTranscriptDocument('job-3', [], { speakerLabels: true });

    // Assess
    expect(unlabelled.results.speaker_labels).toBeUndefined();
    expect(unlabelled.results.items.some((item) => 'speaker_label' in item)).toBe(false);
    expect(silent.results).toMatchObject({ transcripts: [{ transcript: '' }], items: [], audio_segments: [] });
    expect(silent.results.speaker_labels?.speakers).toBe(0);
  });

  it('formats numbers as Transcribe writes them', () => {
    expect(formatSeconds(0.5)).toBe('0.5');
    expect(formatSeconds(2)).toBe('2.0');
    expect(formatSeconds(1.23456)).toBe('1.235');
    expect(formatConfidence(1)).toBe('1.0');
    expect(formatConfidence(0.99994)).toBe('0.9999');
  });
});

describe('outputKeyFor', () => {
  it('follows Transcribe: a .json key is the file, anything else a folder', () => {
    expect(outputKeyFor('job', 'jobs/1/transcribe.json')).toBe('jobs/1/transcribe.json');
    expect(outputKeyFor('job', 'jobs/1/')).toBe('jobs/1/job.json');
    expect(outputKeyFor('job', 'jobs/1')).toBe('jobs/1/job.json');
    expect(outputKeyFor('job', undefined)).toBe('job.json');
  });
});

describe('parseMediaUri', () => {
  it('reads s3:// URIs and path- or virtual-host-style https URLs', () => {
    expect(parseMediaUri('s3://bucket/jobs/a b/audio.wav')).toEqual({ bucket: 'bucket', key: 'jobs/a b/audio.wav' });
    expect(parseMediaUri('https://s3.eu-west-1.amazonaws.com/bucket/jobs/a%20b.wav')).toEqual({
      bucket: 'bucket',
      key: 'jobs/a b.wav',
    });
    expect(parseMediaUri('https://bucket.s3.eu-west-1.amazonaws.com/jobs/a.wav')).toEqual({
      bucket: 'bucket',
      key: 'jobs/a.wav',
    });
    expect(parseMediaUri('http://127.0.0.1:4569/bucket/a.wav')).toEqual({ bucket: 'bucket', key: 'a.wav' });
  });

  it('names no object for anything else', () => {
    expect(parseMediaUri('s3://bucket-only')).toBeNull();
    expect(parseMediaUri('https://s3.amazonaws.com/bucket/')).toBeNull();
    expect(parseMediaUri('file:///tmp/a.wav')).toBeNull();
    expect(parseMediaUri('not a uri')).toBeNull();
  });
});
