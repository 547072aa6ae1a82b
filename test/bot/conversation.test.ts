import { readFileSync } from 'node:fs';
import { HeadObjectCommand, ListObjectsV2Command, GetObjectCommand } from '@aws-sdk/client-s3';
import { consentText } from '../../functions/lib/bot/consent';
import { contributorHash } from '../../functions/lib/bot/identity';
import { MESSAGES } from '../../functions/lib/bot/i18n';
import {
  AGE_RANGES,
  type Contributor,
  type Language,
  type Recording,
  type Sentence,
} from '../../functions/lib/bot/model';
import { gridClip, gridAvailable } from '../support/paths';
import {
  DATA_CONTACT,
  HASH_SALT,
  UPLOADS_BUCKET,
  startBotStack,
  userOf,
  type BotStack,
  type FakeUser,
} from './support/bot-harness';

const consent = (language: Language) =>
  consentText(language, { licence: 'CC BY 4.0', retentionYears: 5, contact: DATA_CONTACT });

const describeWithGrid = gridAvailable() ? describe : describe.skip;

let stack: BotStack;

beforeAll(async () => {
  stack = await startBotStack();
});

afterAll(async () => {
  await stack?.stop();
});

async function objectsOf(hash: string) {
  const { Contents = [] } = await stack.s3.client.send(
    new ListObjectsV2Command({ Bucket: UPLOADS_BUCKET, Prefix: `contributions/${hash}/` }),
  );
  return Promise.all(
    Contents.map(async ({ Key }) => {
      const head = await stack.s3.client.send(new HeadObjectCommand({ Bucket: UPLOADS_BUCKET, Key: Key! }));
      return { key: Key!, size: head.ContentLength, metadata: head.Metadata ?? {} };
    }),
  );
}

/** The prompt text inside «…» of the last prompt message. */
const promptTextOf = (text: string) => /«(.*)»/s.exec(text)?.[1];

/** Onboarding through the buttons: language, consent, 18+, gender, age range, accent (typed). */
async function onboard(user: FakeUser, language: Language, accent: string) {
  await user.text('/start');
  expect(user.lastMessage().buttons).toEqual(['lang:he', 'lang:en']);
  await user.press(`lang:${language}`);
  expect(user.lastMessage().text).toBe(consent(language));
  await user.press('consent:yes');
  expect(user.lastMessage().text).toBe(MESSAGES[language].adult);
  await user.press('adult:yes');
  await user.press('gender:female');
  await user.press('age:30-44');
  await user.press('accent:own');
  expect(user.lastMessage().text).toBe(MESSAGES[language].accentAskText);
  await user.text(accent);
  expect(user.lastMessage().text).toBe(MESSAGES[language].calibration);
}

describeWithGrid.each([
  ['he', 810001, 'מבטא צפוני'],
  ['en', 810002, 'Scottish, Glasgow'],
] as const)('a full conversation in %s', (language, userId, accent) => {
  const clips = ['bbaf2n.mpg', 'brbk7n.mpg', 'lbax4n.mpg', 'lbbc2a.mpg'].map(gridClip);

  it('onboards, stores a calibration and three sentences with their metadata, then skips and reports', async () => {
    // Prepare
    const user = userOf(stack, userId, language);
    const strings = MESSAGES[language];
    const hash = contributorHash(String(userId), HASH_SALT);

    // Act: onboarding and calibration
    await onboard(user, language, accent);
    const calibration = await user.video(clips[0]!, { uniqueId: `${language}-calibration` });

    // Assess
    expect(calibration.statusCode).toBe(200);
    const afterCalibration = user.messages().slice(-2);
    expect(afterCalibration[0]!.text).toBe(strings.calibrationStored);
    expect(afterCalibration[1]!.buttons).toEqual([expect.stringMatching(/^skip:/), expect.stringMatching(/^report:/)]);

    // Act: three sentences
    const prompted: string[] = [];
    for (const [index, clip] of clips.slice(1).entries()) {
      prompted.push(promptTextOf(user.lastMessage().text)!);
      await user.video(clip, { uniqueId: `${language}-sentence-${index}` });
      expect(user.messages().at(-2)!.text).toBe(strings.stored.replace('{count}', String(index + 2)));
    }

    // Act: a skip, then a report with a reason
    const skipped = promptTextOf(user.lastMessage().text)!;
    await user.press(user.button('skip:'));
    const reported = promptTextOf(user.lastMessage().text)!;
    await user.press(user.button('report:'));
    expect(user.lastMessage().text).toBe(strings.reportAsk);
    await user.press(user.button('reason:').replace(/:[a-z]+$/, ':typo'));

    // Assess: the recordings, in the local S3, with the right metadata and bytes
    const objects = await objectsOf(hash);
    expect(objects).toHaveLength(4);
    const byKind = (kind: string) => objects.filter((object) => object.metadata.kind === kind);
    expect(byKind('calibration')).toHaveLength(1);
    expect(
      byKind('sentence')
        .map((object) => decodeURIComponent(object.metadata.reference!))
        .sort(),
    ).toEqual([...prompted].sort());
    for (const object of objects) {
      expect(object.key).toMatch(new RegExp(`^contributions/${hash}/[0-9a-f]{24}\\.mpg$`));
      expect(object.metadata).toMatchObject({
        source: 'telegram',
        contributor: hash,
        language,
        gender: 'female',
        'age-range': '30-44',
        'media-type': 'video',
        'declared-duration-sec': '3',
        'transcribe-language': language === 'he' ? 'he-IL' : 'en-US',
        'consent-version': expect.stringMatching(/^consent-[0-9a-f]{12}$/),
        test: 'false',
      });
      expect(decodeURIComponent(object.metadata.accent!)).toBe(accent);
      expect(object.key).not.toContain(String(userId));
    }
    const first = byKind('sentence')[0]!;
    const body = await stack.s3.client.send(new GetObjectCommand({ Bucket: UPLOADS_BUCKET, Key: first.key }));
    const bytes = await body.Body!.transformToByteArray();
    const original = clips.slice(1).map((clip) => readFileSync(clip));
    expect(original.some((clip) => Buffer.compare(clip, Buffer.from(bytes)) === 0)).toBe(true);
    // S3 metadata is ASCII: Hebrew travels URI-encoded, and says so.
    expect(first.metadata['reference-encoding']).toBe(language === 'he' ? 'uri' : undefined);
    expect(Buffer.byteLength(JSON.stringify(first.metadata))).toBeLessThan(2048);

    // Assess: the sentences table counted each action, and the contributor moved on
    const sentences = await stack.scan<Sentence>('SENTENCES_TABLE');
    const count = (text: string, field: 'recordings' | 'skips' | 'reports') =>
      sentences.find((sentence) => sentence.text === text)?.[field];
    for (const text of prompted) expect(count(text, 'recordings')).toBeGreaterThanOrEqual(1);
    expect(count(skipped, 'skips')).toBe(1);
    expect(count(reported, 'reports')).toBe(1);
    expect(sentences.find((sentence) => sentence.text === reported)).toMatchObject({ reports_typo: 1 });
    expect(new Set([...prompted, skipped, reported]).size).toBe(5);
    expect(user.messages().at(-2)!.text).toBe(strings.reportThanks);
    expect(promptTextOf(user.lastMessage().text)).toBeDefined();

    const contributors = await stack.scan<Contributor>('CONTRIBUTORS_TABLE');
    expect(contributors.find((row) => row.userId === String(userId))).toMatchObject({
      language,
      step: 'recording',
      recordings: 4,
      demographics: { gender: 'female', ageRange: '30-44', accent },
    });
    const recordings = await stack.scan<Recording>('RECORDINGS_TABLE');
    expect(recordings.filter((row) => row.contributorHash === hash && row.status === 'stored')).toHaveLength(4);
    // Every button was labelled in the contributor's language (the language picker names both).
    const labels = new Set<string>([...Object.values(MESSAGES[language]), 'עברית', 'English', ...AGE_RANGES]);
    const shown = user.messages().flatMap((message) => message.labels);
    expect(shown.length).toBeGreaterThan(20);
    expect(shown.filter((text) => !labels.has(text))).toEqual([]);
    expect(shown).toEqual(expect.arrayContaining([MESSAGES[language].skip, MESSAGES[language].report]));
    // Every button press of this conversation was answered, once.
    const answered = stack.telegram
      .callsOf('answerCallbackQuery')
      .map((call) => String(call.params.callback_query_id))
      .filter((id) => user.callbackQueryIds.includes(id));
    expect(user.callbackQueryIds.length).toBeGreaterThanOrEqual(9);
    expect(answered.sort()).toEqual([...user.callbackQueryIds].sort());
  });
});

describe('language', () => {
  it('defaults to Hebrew and /lang switches to English mid-conversation', async () => {
    // Prepare
    const user = userOf(stack, 810003, 'en');
    await user.text('/start');
    await user.press('lang:he');
    expect(user.lastMessage().text).toBe(consent('he'));

    // Act
    await user.text('/lang');
    await user.press('lang:en');

    // Assess
    expect(user.lastMessage().text).toBe(consent('en'));
    expect(user.lastMessage().buttons).toEqual(['consent:yes', 'consent:no']);
  });
});
