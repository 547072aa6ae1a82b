/**
 * The review's probes, turned into tests on the real webhook handler against dynalite,
 * s3rver and the fake Bot API: each video must end up under the sentence the volunteer saw,
 * and every refusal must say what happened.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import { Api } from 'node-telegram-bot-api';
import {
  DynamoDbJobReader,
  DynamoDbRecordingQualityStore,
} from '../../functions/lib/adapters/contribution-feedback-store';
import { DynamoDbSentenceStore, DynamoDbUpdateLedger } from '../../functions/lib/adapters/dynamodb-bot-store';
import { DynamoDbSentenceCoverage } from '../../functions/lib/adapters/dynamodb-sentence-coverage';
import { DEFAULT_FEEDBACK_OPTIONS, reviewContribution } from '../../functions/lib/bot/feedback';
import { MESSAGES } from '../../functions/lib/bot/i18n';
import { contributorHash } from '../../functions/lib/bot/identity';
import type { Contributor, Recording, Sentence } from '../../functions/lib/bot/model';
import { LEASE_MARGIN_SECONDS, MAX_UPDATE_ATTEMPTS } from '../../functions/lib/bot/webhook';
import type { JobRecord } from '../../functions/lib/contracts/job';
import { gridClip, gridAvailable } from '../support/paths';
import {
  ADMIN_ID,
  BOT_TOKEN,
  HASH_SALT,
  PROCESSED_BUCKET,
  UPLOADS_BUCKET,
  VIP_ID,
  startBotStack,
  userOf,
  type BotStack,
  type FakeUser,
} from './support/bot-harness';

const CLIP = gridClip('bbaf2n.mpg');
const OTHER_CLIP = gridClip('lbax4n.mpg');
const describeWithGrid = gridAvailable() ? describe : describe.skip;

let stack: BotStack;
let scratch: string;

beforeAll(async () => {
  stack = await startBotStack();
  scratch = mkdtempSync(path.join(os.tmpdir(), 'gorggle-bot-probes-'));
});

afterAll(async () => {
  await stack?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const promptTextOf = (text: string) => /«(.*)»/s.exec(text)?.[1];

async function recordingsOf(user: FakeUser): Promise<Recording[]> {
  const rows = await stack.scan<Recording>('RECORDINGS_TABLE');
  return rows.filter((row) => row.userId === String(user.id)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

async function contributorOf(user: FakeUser): Promise<Contributor | undefined> {
  return (await stack.scan<Contributor>('CONTRIBUTORS_TABLE')).find((row) => row.userId === String(user.id));
}

/** Onboards in English and sends the calibration; the first sentence is then on screen. */
async function readyToRecord(user: FakeUser) {
  await user.text('/start');
  for (const data of [
    'lang:en',
    'consent:yes',
    'adult:yes',
    'gender:undisclosed',
    'age:undisclosed',
    'accent:undisclosed',
  ])
    await user.press(data);
  await user.video(CLIP, { uniqueId: `calibration-${user.id}` });
}

/** Waits for the next whole second, so a message "sent now" is later than everything shown before. */
async function nextSecond() {
  await sleep(1000 - (Date.now() % 1000) + 20);
}

describeWithGrid('each video is filed under the sentence the volunteer saw', () => {
  it('files a re-recording after a rejection under the rejected sentence, not the one shown meanwhile', async () => {
    // Prepare: sentence A is recorded, and B comes on screen
    const user = userOf(stack, 830001, 'en');
    await readyToRecord(user);
    const sentenceA = promptTextOf(user.lastMessage().text)!;
    await user.video(CLIP, { uniqueId: 'probe-rejected-a' });
    const sentenceB = promptTextOf(user.lastMessage().text)!;
    const [, takeOfA] = await recordingsOf(user);
    expect(takeOfA!.promptText).toBe(sentenceA);

    // Act 1: the quality check rejects A, through the real feedback code and its message
    await stack.dynamodb.send(
      new PutItemCommand({
        TableName: stack.tableNames.JOBS_TABLE,
        Item: marshall({
          jobId: takeOfA!.jobId!,
          status: 'COMPLETED',
          kind: 'contribution',
          source: { bucket: UPLOADS_BUCKET, key: takeOfA!.key, etag: 'e', size: 1 },
          stages: {},
          createdAt: 'now',
          updatedAt: 'now',
        } satisfies JobRecord),
      }),
    );
    const result = {
      version: '2.0',
      segments: [{ audioText: 'something else entirely was said', text: '' }],
      modalities: { transcribe: { status: 'succeeded' }, faces: { status: 'succeeded' } },
    };
    await reviewContribution(
      { jobId: takeOfA!.jobId!, status: 'SUCCEEDED' },
      {
        jobs: new DynamoDbJobReader(stack.dynamodb, stack.tableNames.JOBS_TABLE),
        recordings: new DynamoDbRecordingQualityStore(stack.dynamodb, stack.tableNames.RECORDINGS_TABLE),
        sentences: new DynamoDbSentenceCoverage(stack.dynamodb, stack.tableNames.SENTENCES_TABLE),
        purgeJob: async () => undefined,
        readJobFile: async (_jobId, file) => (file === 'result.json' ? JSON.stringify(result) : undefined),
        notify: async (chatId, text, keyboard) => {
          await new Api(BOT_TOKEN, { apiRoot: stack.telegram.apiRoot }).sendMessage({
            chat_id: chatId,
            text,
            ...(keyboard ? { reply_markup: { inline_keyboard: keyboard } } : {}),
          });
        },
        clock: { now: () => new Date() },
      },
      DEFAULT_FEEDBACK_OPTIONS,
    );
    const verdict = user.lastMessage();

    // Act 2: "Record it again", then the new video
    await user.press(user.button('again:'));
    const promptAgain = user.lastMessage();
    await user.video(OTHER_CLIP, { uniqueId: 'probe-rejected-a-again' });

    // Assess
    expect(verdict.text).toBe(MESSAGES.en.quality_wrong_sentence.replace('{prompt}', sentenceA));
    expect(verdict.labels).toEqual([MESSAGES.en.recordAgain]);
    expect(promptTextOf(promptAgain.text)).toBe(sentenceA);
    const takes = await recordingsOf(user);
    expect(takes.map((take) => take.promptText)).toEqual([expect.any(String), sentenceA, sentenceA]);
    expect(takes.map((take) => take.promptText)).not.toContain(sentenceB);
    // The rejected take left coverage; the re-recording counts.
    const sentenceRow = (await stack.scan<Sentence>('SENTENCES_TABLE')).find((row) => row.text === sentenceA);
    expect(sentenceRow?.recordings).toBe(1);
  });

  it('files two quick videos, both sent while A was on screen, under A, and says so truthfully', async () => {
    // Prepare
    const user = userOf(stack, 830002, 'en');
    await readyToRecord(user);
    const sentenceA = promptTextOf(user.lastMessage().text)!;
    await nextSecond();
    const sentAt = Math.floor(Date.now() / 1000);

    // Act: both arrive at once
    const responses = await Promise.all([
      user.video(CLIP, { uniqueId: 'quick-1', date: sentAt }),
      user.video(OTHER_CLIP, { uniqueId: 'quick-2', date: sentAt }),
    ]);

    // Assess
    expect(responses.map((response) => response.statusCode)).toEqual([200, 200]);
    const takes = (await recordingsOf(user)).filter((take) => take.kind === 'sentence');
    expect(takes.map((take) => [take.promptText, take.status])).toEqual([
      [sentenceA, 'stored'],
      [sentenceA, 'stored'],
    ]);
    const texts = user.messages().map((message) => message.text);
    expect(texts.some((text) => text.includes('not stored'))).toBe(false);
    expect(texts).toContain(MESSAGES.en.stored.replace('{count}', '2'));
    expect(texts).toContain(MESSAGES.en.storedEarlier.replace('{text}', sentenceA).replace('{count}', '3'));
    // The sentence now on screen is B, shown again after the late video.
    expect(promptTextOf(user.lastMessage().text)).not.toBe(sentenceA);
    expect((await contributorOf(user))?.recordings).toBe(3);
  });

  it('after a brief Telegram failure, the retry shows the next sentence instead of only "already received"', async () => {
    // Prepare
    const user = userOf(stack, 830003, 'en');
    await readyToRecord(user);
    const sentenceA = promptTextOf(user.lastMessage().text)!;
    // node-telegram-bot-api retries a failed call once itself: Telegram fails it twice.
    stack.telegram.failNext('sendMessage', 2);
    const update = user.messageUpdate(user.videoFields(CLIP, { uniqueId: 'flaky-telegram' }));

    // Act: Telegram resends the update the webhook failed
    const first = await stack.deliver(update);
    const retry = await stack.deliver(update);

    // Assess
    expect([first.statusCode, retry.statusCode]).toEqual([500, 200]);
    const [said, shown] = user.messages().slice(-2);
    expect(said!.text).toBe(MESSAGES.en.duplicate);
    const sentenceB = promptTextOf(shown!.text);
    expect(sentenceB).toBeDefined();
    expect(sentenceB).not.toBe(sentenceA);
    expect(shown!.buttons).toEqual([expect.stringMatching(/^skip:/), expect.stringMatching(/^report:/)]);
    const takes = (await recordingsOf(user)).filter((take) => take.kind === 'sentence');
    expect(takes.map((take) => take.promptText)).toEqual([sentenceA]);
    expect((await contributorOf(user))?.prompt?.text).toBe(sentenceB);
  });

  it('refuses a video sent before the sentence now on screen, and older than any it remembers', async () => {
    const user = userOf(stack, 830004, 'en');
    await readyToRecord(user);
    await user.video(CLIP, { uniqueId: 'ancient', date: 1_600_000_000 });
    const [said, shown] = user.messages().slice(-2);
    expect(said!.text).toBe(MESSAGES.en.sentBeforePrompt);
    expect(promptTextOf(shown!.text)).toBeDefined();
    expect((await recordingsOf(user)).filter((take) => take.kind === 'sentence')).toEqual([]);
  });
});

describeWithGrid('videos the bot does not take', () => {
  it.each([
    ['a GIF', 830010, { kind: 'animation' as const }, MESSAGES.en.gifRefused],
    ['a forwarded video', 830011, { forwarded: true }, MESSAGES.en.forwardedRefused],
  ])('refuses %s without downloading or storing it', async (_name, userId, options, message) => {
    // Prepare
    const user = userOf(stack, userId, 'en');
    await readyToRecord(user);
    const before = await recordingsOf(user);
    stack.telegram.reset();

    // Act
    await user.video(CLIP, { uniqueId: `refused-${user.id}`, ...options });

    // Assess
    expect(user.lastMessage().text).toBe(message);
    expect(stack.telegram.callsOf('getFile')).toEqual([]);
    expect(await recordingsOf(user)).toEqual(before);
  });

  it('stores a video document (no declared duration) with the limits the pipeline then holds it to', async () => {
    // Prepare
    const user = userOf(stack, 830012, 'en');
    await readyToRecord(user);

    // Act
    await user.video(CLIP, { uniqueId: 'document-no-duration', kind: 'document' });

    // Assess: extract refuses what lasts longer (test/unit/extract, test/bot/local-stack-bot.test.ts)
    const take = (await recordingsOf(user)).at(-1)!;
    const head = await stack.s3.client.send(new HeadObjectCommand({ Bucket: UPLOADS_BUCKET, Key: take.key }));
    expect(head.Metadata).toMatchObject({
      'media-type': 'document',
      'declared-duration-sec': '',
      'min-duration-sec': '1',
      'max-duration-sec': '20',
    });
  });

  it('counts the bytes it downloads and stops at 20 MB, whatever size the sender declared', async () => {
    // Prepare: a 21 MB file that claims to be 1 KB
    const user = userOf(stack, 830013, 'en');
    await readyToRecord(user);
    const big = path.join(scratch, 'big.mp4');
    writeFileSync(big, randomBytes(1024));
    truncateSync(big, 21 * 1024 * 1024);
    const before = await recordingsOf(user);

    // Act
    await user.video(big, { uniqueId: 'lies-about-size', size: 1024, kind: 'document', mimeType: 'video/mp4' });

    // Assess
    expect(user.lastMessage().text).toBe(MESSAGES.en.tooLarge.replace('{max}', '20 seconds'));
    expect(await recordingsOf(user)).toEqual(before);
    const { Versions = [] } = await stack.s3.client.send(
      new ListObjectVersionsCommand({
        Bucket: UPLOADS_BUCKET,
        Prefix: `contributions/${contributorHash(String(user.id), HASH_SALT)}/`,
      }),
    );
    expect(Versions).toHaveLength(before.length);
  });

  it('holds custom text to 160 characters, so its metadata stays under S3’s 2 KB', async () => {
    // Prepare
    const vip = userOf(stack, VIP_ID, 'he');
    await vip.text('/start');
    for (const data of ['lang:he', 'consent:yes', 'adult:yes', 'gender:female', 'age:30-44', 'accent:native-israeli'])
      await vip.press(data);
    await vip.video(CLIP, { uniqueId: 'vip-calibration' });
    const longText = 'א'.repeat(150) + ' ' + 'ב'.repeat(149);
    const fitting = 'ש'.repeat(80) + ' ' + 'ת'.repeat(79);

    // Act
    await vip.text('/vip');
    await vip.press('vip:custom');
    await vip.text(longText);
    const refusal = vip.lastMessage().text;
    await vip.text(fitting);
    const prompt = vip.lastMessage().text;
    await vip.video(OTHER_CLIP, { uniqueId: 'vip-custom' });

    // Assess
    expect(refusal).toBe(MESSAGES.he.customTooLong.replace('{max}', '160').replace('{length}', '300'));
    expect(promptTextOf(prompt)).toBe(fitting);
    const take = (await recordingsOf(vip)).find((row) => row.kind === 'custom')!;
    const head = await stack.s3.client.send(new HeadObjectCommand({ Bucket: UPLOADS_BUCKET, Key: take.key }));
    const metadataBytes = Object.entries(head.Metadata ?? {}).reduce(
      (sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value),
      0,
    );
    expect(metadataBytes).toBeLessThan(2048);
    expect(decodeURIComponent(head.Metadata!.reference!)).toBe(fitting);
  });
});

describeWithGrid('withdrawal', () => {
  it('/delete, once confirmed, removes every object version, job file and row, and /export leaves them out', async () => {
    // Prepare: a volunteer with a calibration and two sentences, whose jobs wrote files
    const user = userOf(stack, 830020, 'en');
    const hash = contributorHash(String(user.id), HASH_SALT);
    await readyToRecord(user);
    await user.video(CLIP, { uniqueId: 'withdraw-1' });
    await user.video(OTHER_CLIP, { uniqueId: 'withdraw-2' });
    const takes = await recordingsOf(user);
    for (const take of takes) {
      await stack.s3.client.send(
        new PutObjectCommand({ Bucket: PROCESSED_BUCKET, Key: `jobs/${take.jobId}/result.json`, Body: '{}' }),
      );
      await stack.dynamodb.send(
        new PutItemCommand({
          TableName: stack.tableNames.JOBS_TABLE,
          Item: marshall({ jobId: take.jobId, status: 'COMPLETED', kind: 'contribution' }),
        }),
      );
    }
    const read = takes.find((take) => take.kind === 'sentence')!;
    const coverageBefore = (await stack.scan<Sentence>('SENTENCES_TABLE')).find(
      (row) => row.sentenceId === read.promptId,
    );

    // Act
    await user.text('/mine');
    const mine = user.lastMessage().text;
    await user.text('/delete');
    const confirmation = user.lastMessage();
    await user.press(user.button('delete:').replace(/:(yes|no)$/, ':yes'));
    const admin = userOf(stack, ADMIN_ID, 'en');
    await admin.text('/export');

    // Assess
    expect(mine.split('\n')).toHaveLength(1 + 3);
    expect(confirmation.labels).toEqual([MESSAGES.en.deleteYes, MESSAGES.en.deleteNo]);
    expect(user.lastMessage().text).toBe(MESSAGES.en.deleted.replace('{count}', '3'));
    const versions = async (bucket: string, prefix: string) => {
      const listed = await stack.s3.client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix }));
      return [...(listed.Versions ?? []), ...(listed.DeleteMarkers ?? [])];
    };
    expect(await versions(UPLOADS_BUCKET, `contributions/${hash}/`)).toEqual([]);
    for (const take of takes) expect(await versions(PROCESSED_BUCKET, `jobs/${take.jobId}/`)).toEqual([]);
    expect(await recordingsOf(user)).toEqual([]);
    expect(await contributorOf(user)).toBeUndefined();
    const jobRows = await stack.scan<{ jobId: string }>('JOBS_TABLE');
    expect(jobRows.filter((row) => takes.some((take) => take.jobId === row.jobId))).toEqual([]);
    const coverageAfter = (await stack.scan<Sentence>('SENTENCES_TABLE')).find(
      (row) => row.sentenceId === read.promptId,
    );
    expect(coverageAfter!.recordings).toBe(coverageBefore!.recordings - 1);
    const manifest = stack.telegram.callsOf('sendDocument').at(-1)?.files.document ?? '';
    expect(manifest).not.toContain(hash);
  });

  it('keeps nothing of someone who declines, and says so', async () => {
    const user = userOf(stack, 830021, 'he');
    await user.text('/start');
    await user.press('lang:he');
    await user.press('consent:no');
    expect(user.lastMessage().text).toBe(MESSAGES.he.declined);
    expect(await contributorOf(user)).toBeUndefined();
  });
});

describe('the update ledger on DynamoDB', () => {
  let now = new Date('2025-06-01T12:00:00Z');
  const clock = { now: () => now };
  const ledger = () => new DynamoDbUpdateLedger(stack.dynamodb, stack.tableNames.UPDATES_TABLE, clock);
  const options = { maxAttempts: MAX_UPDATE_ATTEMPTS, leaseSec: 28 + LEASE_MARGIN_SECONDS };

  it('takes back an update whose handler died past its lease, but not one that may still finish', async () => {
    // Prepare: a first delivery that is still downloading
    const first = await ledger().claim(990001, options);

    // Act: Telegram resends after 20 s, then after 40 s (the first invocation was killed at 28 s)
    now = new Date(now.getTime() + 20_000);
    const early = await ledger().claim(990001, options);
    now = new Date(now.getTime() + 20_000);
    const late = await ledger().claim(990001, options);
    await ledger().settle(990001, 'done');
    const afterDone = await ledger().claim(990001, options);

    // Assess
    expect([first, early, late, afterDone]).toEqual([
      { state: 'claimed', attempt: 1 },
      { state: 'in-progress' },
      { state: 'claimed', attempt: 2 },
      { state: 'done' },
    ]);
  });

  it('lets one update hold a chat at a time, until it lets go or its lease runs out', async () => {
    const a = await ledger().lockChat(77, 'update:1', 30);
    const b = await ledger().lockChat(77, 'update:2', 30);
    await ledger().unlockChat(77, 'update:2');
    const stillA = await ledger().lockChat(77, 'update:3', 30);
    await ledger().unlockChat(77, 'update:1');
    const afterRelease = await ledger().lockChat(77, 'update:3', 30);
    now = new Date(now.getTime() + 31_000);
    const takenOver = await ledger().lockChat(77, 'update:4', 30);
    expect([a, b, stillA, afterRelease, takenOver]).toEqual([true, false, false, true, true]);
  });
});

describe('texts and sentences', () => {
  (gridAvailable() ? it : it.skip)(
    'retires a sentence once it is reported often enough (2 here), so it is not offered again',
    async () => {
      // Prepare: a volunteer with sentence A on screen
      const user = userOf(stack, 830030, 'en');
      await readyToRecord(user);
      const sentenceId = (await contributorOf(user))!.prompt!.promptId;
      const sentences = new DynamoDbSentenceStore(stack.dynamodb, stack.tableNames.SENTENCES_TABLE);
      const row = async () =>
        (await stack.scan<Sentence>('SENTENCES_TABLE')).find((sentence) => sentence.sentenceId === sentenceId)!;

      // Act: they report it with the buttons; then another volunteer's report arrives
      await user.press(user.button('report:'));
      await user.press(user.button('reason:').replace(/:[a-z]+$/, ':typo'));
      const afterOne = await row();
      await sentences.report(sentenceId, 'hard', 2);
      const afterTwo = await row();

      // Assess
      expect([afterOne.active, afterOne.reports]).toEqual([true, 1]);
      expect(afterTwo).toMatchObject({ active: false, reports: 2, retiredReason: 'reported' });
      expect((await sentences.listActive('en')).map((sentence) => sentence.sentenceId)).not.toContain(sentenceId);
    },
  );

  it("apologises in the volunteer's own language when their message could not be handled", async () => {
    // Prepare: an English volunteer, and a file Telegram will not hand over (a bug on no one's side)
    const user = userOf(stack, 830032, 'en');
    await user.text('/start');
    for (const data of ['lang:en', 'consent:yes', 'adult:yes', 'gender:male', 'age:18-29', 'accent:us'])
      await user.press(data);

    // Act
    const response = await user.send({
      video: { file_id: 'never-registered', file_unique_id: 'never-registered', width: 1, height: 1, duration: 3 },
    });

    // Assess
    expect([response.statusCode, response.body]).toEqual([200, 'dropped']);
    expect(user.lastMessage().text).toBe(MESSAGES.en.failed);
  });

  it('asks the question again with its buttons when a volunteer types instead of pressing one', async () => {
    const user = userOf(stack, 830033, 'he');
    await user.text('/start');
    await user.press('lang:he');
    await user.text('כן');
    const [said, asked] = user.messages().slice(-2);
    expect(said!.text).toBe(MESSAGES.he.answerWithButtons);
    expect(asked!.labels).toEqual([MESSAGES.he.consentYes, MESSAGES.he.consentNo]);
  });
});
