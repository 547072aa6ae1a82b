/**
 * The bot on the local stack, end to end: the telegram-bot zip fed by long polling from the
 * fake Bot API (Telegram itself cannot be reached here), its recordings through the real
 * pipeline, and each verdict sent by contribution-feedback, which the local EventBridge calls
 * with the rule terraform/bot.tf declares. One volunteer per language, talking at once.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { MESSAGES, seconds } from '../../functions/lib/bot/i18n';
import type { Language, Recording } from '../../functions/lib/bot/model';
import { startLocalBot, type LocalBot } from '../../scripts/local/telegram-bot';
import { LOCAL_CREDENTIALS } from '../../scripts/local-stack/config';
import { startLocalStack, type LocalStack } from '../../scripts/local-stack/stack';
import { localStackArtefacts, requireBuilt } from '../support/built-artifacts';
import { gridClip, gridAvailable } from '../support/paths';
import { FakeTelegram, type SentMessage } from './support/fake-telegram';
import { FakeUser } from './support/fake-user';

requireBuilt(await localStackArtefacts());

const SECONDS = 1000;
const TOKEN = '424242:LOCAL-stack-bot';
const OLD_WEBHOOK = 'https://bot.example.org/telegram/webhook';
const ADMIN = 860000;
/** Longer than the bot's default limit of 30 s (terraform/variables.tf). */
const LONG_SECONDS = 45;

function ffmpeg(args: string[]): void {
  const result = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ffmpeg failed: ${result.stderr}`);
}

/** Polls the fake Bot API's record until `found` sees the message it waits for. */
async function until(
  user: FakeUser,
  found: (message: SentMessage, index: number) => boolean,
  what: string,
  timeoutMs = 420 * SECONDS,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const message = user.messages().find((candidate, index) => found(candidate, index));
    if (message) return message;
    if (Date.now() > deadline) {
      throw new Error(
        `No ${what} after ${timeoutMs / 1000} s; the chat was: ${JSON.stringify(user.messages().map((m) => m.text))}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

(gridAvailable() ? describe : describe.skip)('the contributor bot on the local stack', () => {
  let telegram: FakeTelegram;
  let stack: LocalStack;
  let bot: LocalBot;
  let dataDir: string;
  let mediaDir: string;
  const asked: string[] = [];
  const said: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'gorggle-bot-stack-'));
    mediaDir = mkdtempSync(path.join(tmpdir(), 'gorggle-bot-media-'));
    telegram = new FakeTelegram(TOKEN);
    await telegram.start();
    telegram.webhookUrl = OLD_WEBHOOK;
    const botEnvironment = { TELEGRAM_API_ROOT: telegram.apiRoot, ADMIN_USER_IDS: String(ADMIN) };
    stack = await startLocalStack({
      ports: 'random',
      dataDir,
      // Verdicts need no lip reading: the server (a CPU model here) would only slow the jobs.
      avhubert: false,
      functionEnvironment: { 'telegram-bot': botEnvironment, 'contribution-feedback': botEnvironment },
      eventRetryBaseMs: 200,
    });
    bot = await startLocalBot(stack, {
      token: TOKEN,
      apiRoot: telegram.apiRoot,
      confirmWebhookRemoval: async (url) => {
        asked.push(url);
        return true;
      },
      say: (line) => said.push(line),
      pollTimeoutSec: 1,
      retryDelayMs: 200,
    });
    // Calibration: a GRID face, tongue and smile being silent, as the bot asks.
    ffmpeg([
      '-i',
      gridClip('bbaf2n.mpg'),
      '-af',
      'volume=0',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-c:a',
      'aac',
      path.join(mediaDir, 'calibration.mp4'),
    ]);
    // A video file longer than the bot allows (terraform's telegram_max_video_seconds), which declares no duration.
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      `color=c=gray:s=32x32:r=5:d=${LONG_SECONDS}`,
      '-f',
      'lavfi',
      '-i',
      'anullsrc=r=8000:cl=mono',
      '-t',
      String(LONG_SECONDS),
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-c:a',
      'aac',
      '-b:a',
      '8k',
      path.join(mediaDir, 'long.mp4'),
    ]);
  }, 240 * SECONDS);

  afterAll(async () => {
    await bot?.stop();
    await stack?.stop();
    await telegram?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(mediaDir, { recursive: true, force: true });
  }, 60 * SECONDS);

  it('asked before removing the webhook it found, and said how to restore it', () => {
    expect(asked).toEqual([OLD_WEBHOOK]);
    expect(said.join('\n')).toContain(`scripts/set-telegram-webhook.ts --url '${OLD_WEBHOOK}'`);
    expect(telegram.webhookUrl).toBe('');
    expect(telegram.callsOf('deleteWebhook')).toHaveLength(1);
  });

  /** One volunteer's conversation; the checks that differ by language are in the test below. */
  async function converse(language: Language, userId: number, sentenceClip: string) {
    const strings = MESSAGES[language];
    const user = new FakeUser(
      telegram,
      async (update) => telegram.pushUpdate(update as { update_id: number }),
      userId,
      language,
    );
    const step = async (send: () => Promise<unknown>, expected: string) => {
      const before = user.messages().length;
      await send();
      return until(
        user,
        (message, index) => index >= before && message.text.startsWith(expected),
        expected.slice(0, 40),
      );
    };

    // Consent, then the questions, each answered with its buttons
    // Before a language is chosen the bot speaks its default, Hebrew (the question names both).
    await step(() => user.text('/start'), MESSAGES.he.chooseLanguage);
    const consent = await step(() => user.press(`lang:${language}`), strings.consentIntro);
    await step(() => user.press('consent:yes'), strings.adult);
    const gender = await step(() => user.press('adult:yes'), strings.askGender);
    await step(() => user.press('gender:other'), strings.askAgeRange);
    await step(() => user.press('age:undisclosed'), strings.askAccent);
    await step(() => user.press('accent:undisclosed'), strings.calibration.slice(0, 30));
    await step(
      () => user.video(path.join(mediaDir, 'calibration.mp4'), { uniqueId: `cal-${userId}`, kind: 'video_note' }),
      strings.calibrationStored,
    );
    const prompt = await until(
      user,
      (message) => message.buttons.some((data) => data.startsWith('skip:')),
      'a sentence',
    );
    const sentence = /«(.*)»/s.exec(prompt.text)![1]!;
    await user.video(sentenceClip, { uniqueId: `sentence-${userId}` });
    if (language === 'en') {
      await until(user, (message) => message.text.startsWith(strings.stored.split('{')[0]!), 'the reading stored');
      await user.video(path.join(mediaDir, 'long.mp4'), { uniqueId: `long-${userId}`, kind: 'document' });
    }

    const calibrationVerdict = await until(
      user,
      (message) => message.text.includes(`«${strings.calibrationPrompt}»`),
      'the calibration verdict',
    );
    const sentenceVerdict = await until(
      user,
      (message) => message.text.includes(`«${sentence}»`) && message.text !== prompt.text,
      'the reading verdict',
    );
    return { user, strings, consent, gender, sentence, calibrationVerdict, sentenceVerdict };
  }

  const recordingsOf = async (userId: number) =>
    (
      await new DynamoDBClient({
        endpoint: stack.endpoints.dynamodb,
        region: stack.config.region,
        credentials: {
          accessKeyId: LOCAL_CREDENTIALS.AWS_ACCESS_KEY_ID,
          secretAccessKey: LOCAL_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
        },
      }).send(new ScanCommand({ TableName: `${stack.config.namePrefix}-bot-recordings` }))
    )
      .Items!.map((item) => unmarshall(item) as Recording)
      .filter((row) => row.userId === String(userId));

  const checksOf = (recording: Recording | undefined) =>
    Object.fromEntries((recording?.quality?.checks ?? []).map((check) => [check.check, check.outcome]));

  /** Checks by name; on a mismatch the message carries the stored quality (each check's detail, the job's error). */
  const expectChecks = (recording: Recording | undefined, expected: Record<string, string>) => {
    const checks = checksOf(recording);
    if (Object.entries(expected).some(([check, outcome]) => checks[check] !== outcome)) {
      throw new Error(`Expected checks ${JSON.stringify(expected)}; stored: ${JSON.stringify(recording?.quality)}`);
    }
    expect(checks).toMatchObject(expected);
  };

  it(
    'takes a Hebrew and an English volunteer from consent to the verdicts on a silent calibration and a GRID reading',
    async () => {
      // Act: both talk at once, as volunteers do
      const [he, en] = await Promise.all([
        converse('he', 870001, gridClip('lbax4n.mpg')),
        converse('en', 870002, gridClip('bbaf2n.mpg')),
      ]);

      // Assess: buttons in each volunteer's language
      for (const chat of [he, en]) {
        expect(chat.consent.labels).toEqual([chat.strings.consentYes, chat.strings.consentNo]);
        expect(chat.gender.labels).toEqual([
          chat.strings.gender_female,
          chat.strings.gender_male,
          chat.strings.gender_other,
          chat.strings.gender_undisclosed,
        ]);
        // The silent calibration is accepted on the face alone.
        expect(chat.calibrationVerdict.text).toBe(
          chat.strings.quality_accepted.replace('{prompt}', chat.strings.calibrationPrompt),
        );
      }

      // Hebrew: no Hebrew speech-to-text here, so the sentence check says it did not run, never that it passed.
      const heReading = (await recordingsOf(870001)).find(
        (row) => row.kind === 'sentence' && row.promptText === he.sentence,
      );
      // Voice activity (Silero VAD) hears the speech whatever the language.
      expectChecks(heReading, {
        face: 'passed',
        face_size: 'passed',
        lighting: 'passed',
        speech: 'passed',
        sentence: 'not_run',
      });
      expect(heReading?.quality?.verdict).toBe('unverified');
      expect(he.sentenceVerdict.text).toContain(he.strings.check_sentence);

      // English: a GRID sentence is not the prompt it was sent for; the verdict says so and offers a new take.
      const enRecordings = await recordingsOf(870002);
      const enReading = enRecordings.find((row) => row.kind === 'sentence' && row.promptText === en.sentence);
      expectChecks(enReading, { face: 'passed', face_size: 'passed', lighting: 'passed', speech: 'passed' });
      expect(checksOf(enReading).sentence).not.toBe('passed');
      expect(['wrong_sentence', 'incomplete', 'no_speech']).toContain(enReading?.quality?.verdict);
      expect(en.sentenceVerdict.labels).toEqual([en.strings.recordAgain]);

      // English: the 45 s video file, which declared no duration, is held to the bot's limit by the pipeline.
      const limit = Number(stack.facts.variableDefaults.telegram_max_video_seconds);
      expect(limit).toBeLessThan(LONG_SECONDS);
      const long = enRecordings.find((row) => row.mediaType === 'document')!;
      const tooLong = await until(
        en.user,
        (message) =>
          message.text ===
          en.strings.quality_too_long.replace('{prompt}', long.promptText).replace('{limit}', seconds('en', limit)),
        'the too-long verdict',
      );
      expect(tooLong.labels).toEqual([en.strings.recordAgain]);
      expect(bot.handled()).toBeGreaterThan(18);
    },
    600 * SECONDS,
  );
});
