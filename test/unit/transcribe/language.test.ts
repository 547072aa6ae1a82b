import { StartTranscriptionJobCommand, TranscribeClient } from '@aws-sdk/client-transcribe';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsSpeechToText } from '../../../functions/lib/adapters/transcribe';
import { configSchema } from '../../../functions/transcribe/config';
import { loadConfig } from '../../../functions/lib/config';
import { transcribeBranch } from '../../../functions/lib/transcribe/transcribe-branch';
import { sampleEvent } from '../branches/support';

const transcribe = mockClient(TranscribeClient);

beforeEach(() => transcribe.reset());

describe('transcribe language', () => {
  it("asks Transcribe to identify the language when TRANSCRIBE_LANGUAGE is 'auto'", async () => {
    // Prepare
    transcribe.on(StartTranscriptionJobCommand).resolves({});
    const branch = transcribeBranch({
      speech: new AwsSpeechToText(new TranscribeClient({ region: 'eu-west-1' })),
      processedBucket: 'gorggle-processed',
      language: 'auto',
      maxSpeakers: 2,
    });

    // Act
    await branch.start(sampleEvent('transcribe', 'start.json').job);

    // Assess
    const input = transcribe.commandCalls(StartTranscriptionJobCommand)[0]!.args[0].input;
    expect(input.IdentifyLanguage).toBe(true);
    expect(input.LanguageCode).toBeUndefined();
  });

  it('transcribes an upload in its own language when it names one (a Hebrew recording: he-IL)', async () => {
    // Prepare
    transcribe.on(StartTranscriptionJobCommand).resolves({});
    const branch = transcribeBranch({
      speech: new AwsSpeechToText(new TranscribeClient({ region: 'eu-west-1' })),
      processedBucket: 'gorggle-processed',
      language: 'en-US',
      maxSpeakers: 2,
    });
    const job = { ...sampleEvent('transcribe', 'start.json').job, language: 'he-IL' };

    // Act
    await branch.start(job);

    // Assess
    expect(transcribe.commandCalls(StartTranscriptionJobCommand)[0]!.args[0].input.LanguageCode).toBe('he-IL');
  });

  it('refuses a speaker count Transcribe would reject, naming the key', () => {
    // Act
    const load = () =>
      loadConfig(configSchema, {
        JOBS_TABLE: 't',
        PROCESSED_BUCKET: 'bucket',
        MAX_SPEAKERS: '31',
      } as NodeJS.ProcessEnv);

    // Assess
    expect(load).toThrow(/MAX_SPEAKERS/);
  });
});
