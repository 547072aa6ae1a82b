/**
 * Telegram delivers a recording in three shapes: a video, a round video note, or a video sent
 * as a file (a document). The bot takes each, streams its bytes to S3 and says which it was.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { contributorHash } from '../../functions/lib/bot/identity';
import { MESSAGES } from '../../functions/lib/bot/i18n';
import type { Recording } from '../../functions/lib/bot/model';
import { HASH_SALT, UPLOADS_BUCKET, startBotStack, userOf, type BotStack, type FakeUser } from './support/bot-harness';

let stack: BotStack;
let workDir: string;
let clip: string;

beforeAll(async () => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'gorggle-bot-kinds-'));
  // A small real video: the bot never looks inside, but its bytes must arrive unchanged.
  clip = path.join(workDir, 'clip.mpg');
  execFileSync('ffmpeg', [
    ...['-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25:duration=2'],
    ...['-c:v', 'mpeg1video', clip],
  ]);
  stack = await startBotStack();
});

afterAll(async () => {
  await stack?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

async function storedObjects(userId: number) {
  const { Contents = [] } = await stack.s3.client.send(
    new ListObjectsV2Command({
      Bucket: UPLOADS_BUCKET,
      Prefix: `contributions/${contributorHash(String(userId), HASH_SALT)}/`,
    }),
  );
  return Promise.all(
    Contents.map(async ({ Key }) => {
      const head = await stack.s3.client.send(new HeadObjectCommand({ Bucket: UPLOADS_BUCKET, Key: Key! }));
      const body = await stack.s3.client.send(new GetObjectCommand({ Bucket: UPLOADS_BUCKET, Key: Key! }));
      return { key: Key!, metadata: head.Metadata ?? {}, bytes: Buffer.from(await body.Body!.transformToByteArray()) };
    }),
  );
}

/** Onboards in English up to the sentence loop (the calibration sent as an ordinary video). */
async function readyToRecord(user: FakeUser) {
  await user.text('/start');
  for (const data of ['lang:en', 'consent:yes', 'adult:yes', 'gender:other', 'age:18-29', 'accent:uk'])
    await user.press(data);
  await user.video(clip, { uniqueId: `calibration-${user.id}` });
  expect(user.messages().at(-2)?.text).toBe(MESSAGES.en.calibrationStored);
}

describe('the recordings the bot accepts', () => {
  it.each([
    ['a round video note', 'video_note', 'mp4'],
    ['a video sent as a file', 'document', 'mpg'],
  ] as const)('stores %s with its bytes, its kind and its extension', async (_, kind, extension) => {
    // Prepare
    const user = userOf(stack, kind === 'video_note' ? 830001 : 830002, 'en');
    await readyToRecord(user);

    // Act
    const response = await user.video(clip, { uniqueId: `${kind}-${user.id}`, kind });

    // Assess
    expect(response.statusCode).toBe(200);
    expect(user.messages().at(-2)?.text).toBe(MESSAGES.en.stored.replace('{count}', '2'));
    const sentence = (await storedObjects(user.id)).find((object) => object.metadata.kind === 'sentence');
    expect(sentence?.key).toMatch(new RegExp(`\\.${extension}$`));
    expect(sentence?.metadata['media-type']).toBe(kind);
    expect(sentence?.bytes.equals(readFileSync(clip))).toBe(true);
    const recordings = await stack.scan<Recording>('RECORDINGS_TABLE');
    expect(recordings.find((row) => row.key === sentence?.key)).toMatchObject({ mediaType: kind, status: 'stored' });
  });

  it('refuses a document that is not a video, and stores nothing', async () => {
    // Prepare
    const user = userOf(stack, 830003, 'en');
    await readyToRecord(user);
    const before = await storedObjects(user.id);

    // Act
    await user.send({
      document: { file_id: 'file-pdf', file_unique_id: 'pdf-1', file_name: 'notes.pdf', mime_type: 'application/pdf' },
    });

    // Assess
    expect(user.lastMessage().text).toBe(MESSAGES.en.notVideoFile);
    expect(await storedObjects(user.id)).toHaveLength(before.length);
  });
});
