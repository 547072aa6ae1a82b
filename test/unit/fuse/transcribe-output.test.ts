import { audioWordsFromTranscribe, transcribeOutputSchema } from '../../../functions/lib/fuse/transcribe-output';
import { transcribeJson } from './builders';

describe('audioWordsFromTranscribe', () => {
  it('reads string numbers, glues punctuation and keeps speaker labels', () => {
    // Prepare
    const json = transcribeJson([
      ['Hello', 0.5, 0.9, 0.99, 'spk_0'],
      ',',
      ['there', 0.95, 1.3, 0.87, 'spk_0'],
      '.',
      ['Hi', 2.5, 2.8, 0.91, 'spk_1'],
    ]);

    // Act
    const words = audioWordsFromTranscribe(transcribeOutputSchema.parse(JSON.parse(json)));

    // Assess
    expect(words).toEqual([
      { text: 'Hello,', start: 0.5, end: 0.9, confidence: 0.99, speaker: 'spk_0' },
      { text: 'there.', start: 0.95, end: 1.3, confidence: 0.87, speaker: 'spk_0' },
      { text: 'Hi', start: 2.5, end: 2.8, confidence: 0.91, speaker: 'spk_1' },
    ]);
  });

  it('takes the speaker from speaker_labels.segments when items carry none (older output)', () => {
    // Prepare
    const output = transcribeOutputSchema.parse({
      results: {
        transcripts: [{ transcript: 'yes no' }],
        speaker_labels: {
          segments: [
            { start_time: '0.0', end_time: '1.0', speaker_label: 'spk_0' },
            { start_time: '1.5', end_time: '2.0', speaker_label: 'spk_1' },
          ],
        },
        items: [
          {
            type: 'pronunciation',
            start_time: '0.2',
            end_time: '0.6',
            alternatives: [{ content: 'yes', confidence: '0.9' }],
          },
          {
            type: 'pronunciation',
            start_time: '1.6',
            end_time: '1.9',
            alternatives: [{ content: 'no', confidence: '0.8' }],
          },
        ],
      },
    });

    // Act
    const words = audioWordsFromTranscribe(output);

    // Assess
    expect(words.map((word) => word.speaker)).toEqual(['spk_0', 'spk_1']);
  });

  it('rejects output whose times are not numbers', () => {
    const parsed = transcribeOutputSchema.safeParse({
      results: {
        items: [{ type: 'pronunciation', start_time: 'soon', end_time: '1', alternatives: [{ content: 'x' }] }],
      },
    });
    expect(parsed.success).toBe(false);
  });
});
