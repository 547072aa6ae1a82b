import { t } from './i18n';
import { newToken } from './identity';
import type { Prompt } from './model';
import { pickSentence } from './sentences';
import { button, type Turn } from './turn';

export function calibrationPrompt(turn: Turn): Prompt {
  return {
    token: newToken(),
    kind: 'calibration',
    promptId: 'calibration',
    text: t(turn.language, 'calibrationPrompt'),
    language: turn.language,
  };
}

/** The least-recorded sentence this contributor has not done yet, with Skip and Report. */
export async function offerNextPrompt(turn: Turn): Promise<void> {
  const { settings, sentences } = turn.deps;
  if (turn.contributor.recordings >= settings.maxRecordingsPerContributor) {
    turn.change({ step: 'finished', prompt: undefined });
    return turn.say('capReached', { max: settings.maxRecordingsPerContributor });
  }
  const sentence = pickSentence(
    await sentences.listActive(turn.language),
    turn.contributor.doneSentenceIds,
    turn.contributor.contributorHash,
  );
  if (!sentence) {
    turn.change({ prompt: undefined });
    return turn.say('noSentences');
  }
  const prompt: Prompt = {
    token: newToken(),
    kind: 'sentence',
    promptId: sentence.sentenceId,
    text: sentence.text,
    language: sentence.language,
  };
  turn.change({ prompt });
  turn.say('prompt', { text: sentence.text }, [
    [button(turn.t('skip'), `skip:${prompt.token}`), button(turn.t('report'), `report:${prompt.token}`)],
  ]);
}
