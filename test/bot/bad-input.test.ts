import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { contributorHash } from '../../functions/lib/bot/identity';
import { MESSAGES } from '../../functions/lib/bot/i18n';
import type { Contributor, Recording } from '../../functions/lib/bot/model';
import { REPO_ROOT, gridClip, gridAvailable } from '../support/paths';
import {
  ADMIN_ID,
  HASH_SALT,
  TEST_USER_ID,
  UPLOADS_BUCKET,
  startBotStack,
  userOf,
  type BotStack,
  type FakeUser,
} from './support/bot-harness';

const CLIP = gridClip('swiz3n.mpg');
const ENGLISH_SENTENCES = readFileSync(path.join(REPO_ROOT, 'data', 'sentences', 'sentences.en.txt'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() && !line.startsWith('#')).length;
const itWithGrid = gridAvailable() ? it : it.skip;

let stack: BotStack;

beforeAll(async () => {
  stack = await startBotStack();
});

afterAll(async () => {
  await stack?.stop();
});

async function storedKeys(userId: number): Promise<string[]> {
  const { Contents = [] } = await stack.s3.client.send(
    new ListObjectsV2Command({
      Bucket: UPLOADS_BUCKET,
      Prefix: `contributions/${contributorHash(String(userId), HASH_SALT)}/`,
    }),
  );
  return Contents.map((object) => object.Key!);
}

async function contributorRow(userId: number): Promise<Contributor | undefined> {
  return (await stack.scan<Contributor>('CONTRIBUTORS_TABLE')).find((row) => row.userId === String(userId));
}

/** Onboards in English up to the sentence loop, calibration included. */
async function readyToRecord(user: FakeUser) {
  await user.text('/start');
  for (const data of ['lang:en', 'consent:yes', 'adult:yes', 'gender:male', 'age:45-59', 'accent:us'])
    await user.press(data);
  await user.video(CLIP, { uniqueId: `calibration-${user.id}` });
}

describe('webhook authentication and delivery', () => {
  it('answers 403 to a wrong secret and handles nothing', async () => {
    // Prepare
    stack.telegram.reset();

    // Act
    const response = await stack.deliver(
      {
        update_id: 5_000_001,
        message: {
          message_id: 1,
          date: 0,
          from: { id: 820001 },
          chat: { id: 820001, type: 'private' },
          text: '/start',
        },
      },
      'not-the-secret',
    );

    // Assess
    expect(response.statusCode).toBe(403);
    expect(stack.telegram.calls).toEqual([]);
  });

  it('processes a repeated update_id once', async () => {
    // Prepare
    stack.telegram.reset();
    const update = {
      update_id: 5_000_002,
      message: {
        message_id: 2,
        date: 0,
        from: { id: 820002, is_bot: false, first_name: 'A' },
        chat: { id: 820002, type: 'private' },
        text: '/start',
      },
    };

    // Act
    const first = await stack.deliver(update);
    const second = await stack.deliver(update);

    // Assess
    expect([first.statusCode, first.body, second.statusCode, second.body]).toEqual([200, 'ok', 200, 'duplicate']);
    expect(stack.telegram.callsOf('sendMessage')).toHaveLength(1);
  });

  it('answers 200 to a body that is not an update, so Telegram does not resend it', async () => {
    const response = await stack.deliver({ hello: 'world' });
    expect([response.statusCode, response.body]).toEqual([200, 'ignored']);
  });
});

describe('videos the bot refuses', () => {
  itWithGrid('refuses a video over 20 MB with an explanation, without downloading it', async () => {
    // Prepare
    const user = userOf(stack, 820010, 'en');
    await readyToRecord(user);
    stack.telegram.reset();

    // Act
    await user.video(CLIP, { uniqueId: 'too-big', size: 25 * 1024 * 1024 });

    // Assess
    expect(user.lastMessage().text).toBe(MESSAGES.en.tooLarge.replace('{max}', '20 seconds'));
    expect(stack.telegram.callsOf('getFile')).toEqual([]);
    expect(stack.telegram.downloads).toEqual([]);
    expect(await storedKeys(user.id)).toHaveLength(1); // the calibration only
  });

  itWithGrid('refuses a video longer than the configured bound', async () => {
    const user = userOf(stack, 820011, 'en');
    await readyToRecord(user);
    await user.video(CLIP, { uniqueId: 'too-long', duration: 45 });
    expect(user.lastMessage().text).toBe(
      MESSAGES.en.tooLong.replace('{duration}', '45 seconds').replace('{max}', '20 seconds'),
    );
    expect(await storedKeys(user.id)).toHaveLength(1);
  });

  it.each([
    [
      'a sticker',
      {
        sticker: {
          file_id: 's',
          file_unique_id: 's',
          type: 'regular',
          width: 1,
          height: 1,
          is_animated: false,
          is_video: false,
        },
      },
    ],
    ['a photo', { photo: [{ file_id: 'p', file_unique_id: 'p', width: 1, height: 1 }] }],
    ['a voice message', { voice: { file_id: 'v', file_unique_id: 'v', duration: 2 } }],
  ])('answers %s during the sentence loop with guidance on what to send', async (_name, fields) => {
    // Prepare
    const user = userOf(stack, 820020 + Object.keys(fields)[0]!.length, 'en');
    await user.text('/start');
    for (const data of ['lang:en', 'consent:yes', 'adult:yes', 'gender:other', 'age:18-29', 'accent:uk'])
      await user.press(data);
    stack.telegram.reset();

    // Act
    await user.send(fields);

    // Assess
    expect(user.lastMessage().text).toBe(MESSAGES.en.wrongKindRecording);
    expect(stack.telegram.callsOf('getFile')).toEqual([]);
  });

  itWithGrid('does not store a resent file with the same file_unique_id twice', async () => {
    // Prepare
    const user = userOf(stack, 820030, 'en');
    await readyToRecord(user);
    await user.video(CLIP, { uniqueId: 'same-file' });

    // Act
    await user.video(CLIP, { uniqueId: 'same-file' });

    // Assess: said so, and the sentence on screen comes again
    const [duplicate, prompt] = user.messages().slice(-2);
    expect(duplicate!.text).toBe(MESSAGES.en.duplicate);
    expect(prompt!.buttons).toEqual([expect.stringMatching(/^skip:/), expect.stringMatching(/^report:/)]);
    expect(await storedKeys(user.id)).toHaveLength(2);
  });

  itWithGrid('stores nothing from a user who never gave consent', async () => {
    // Prepare
    const user = userOf(stack, 820040, 'he');
    await user.text('/start');
    await user.press('lang:he');
    await user.press('consent:no');
    stack.telegram.reset();

    // Act
    await user.video(CLIP, { uniqueId: 'no-consent' });

    // Assess
    expect(user.lastMessage().text).toBe(MESSAGES.he.needOnboarding);
    expect(stack.telegram.callsOf('getFile')).toEqual([]);
    expect(await storedKeys(user.id)).toEqual([]);
    const recordings = await stack.scan<Recording>('RECORDINGS_TABLE');
    expect(recordings.filter((row) => row.userId === String(user.id))).toEqual([]);
  });
});

describe('buttons and commands', () => {
  itWithGrid('ignores a button from an older prompt, and still answers the callback', async () => {
    // Prepare
    const user = userOf(stack, 820050, 'en');
    await readyToRecord(user);
    const oldSkip = user.button('skip:');
    await user.press(oldSkip);
    const promptBefore = (await contributorRow(user.id))?.prompt;
    stack.telegram.reset();

    // Act
    await user.press(oldSkip);

    // Assess: the current prompt stands (the stale press skipped nothing), and no message went out.
    expect(promptBefore).toBeDefined();
    expect((await contributorRow(user.id))?.prompt).toEqual(promptBefore);
    expect(stack.telegram.callsOf('sendMessage')).toEqual([]);
    expect(stack.telegram.callsOf('answerCallbackQuery').map((call) => call.params.text)).toEqual([
      MESSAGES.en.staleButton,
    ]);
  });

  it('ignores an onboarding button pressed after that step', async () => {
    const user = userOf(stack, 820051, 'en');
    await user.text('/start');
    await user.press('lang:en');
    await user.press('consent:yes');
    stack.telegram.reset();
    await user.press('consent:no');
    expect(stack.telegram.callsOf('sendMessage')).toEqual([]);
    expect(stack.telegram.callsOf('answerCallbackQuery')[0]!.params.text).toBe(MESSAGES.en.staleButton);
  });

  it.each(['/stats', '/export', '/block 1', '/clear_test_data', '/sentences add en\nA new sentence here.'])(
    'refuses %s from a non-admin',
    async (command) => {
      // Prepare
      const user = userOf(stack, 820060, 'he');
      stack.telegram.reset();

      // Act
      await user.text(command);

      // Assess
      expect(user.lastMessage().text).toBe(MESSAGES.he.adminOnly);
      expect(stack.telegram.callsOf('sendDocument')).toEqual([]);
    },
  );

  it('refuses the VIP menu to someone who is not a VIP', async () => {
    const user = userOf(stack, 820061, 'he');
    await user.text('/vip');
    expect(user.lastMessage().text).toBe(MESSAGES.he.vipOnly);
  });
});

describe('admin commands', () => {
  beforeAll(async () => {
    // Hebrew is the default; this admin reads English.
    await userOf(stack, ADMIN_ID, 'en').press('lang:en');
  });

  itWithGrid('/export sends a manifest with hashed ids and speaker-disjoint splits', async () => {
    // Prepare: three more speakers with one sentence each
    for (const id of [820070, 820071, 820072]) {
      const user = userOf(stack, id, 'en');
      await readyToRecord(user);
      await user.video(CLIP, { uniqueId: `export-${id}` });
    }
    const admin = userOf(stack, ADMIN_ID, 'en');
    stack.telegram.reset();

    // Act
    await admin.text('/export');

    // Assess
    const [call] = stack.telegram.callsOf('sendDocument');
    const manifest = call!.files.document!;
    const rows = manifest
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, string>);
    expect(rows.length).toBeGreaterThanOrEqual(6);
    for (const id of [820070, 820071, 820072]) {
      expect(manifest).not.toContain(String(id));
      expect(rows.map((row) => row.speaker)).toContain(contributorHash(String(id), HASH_SALT));
    }
    const splitsBySpeaker = new Map<string, Set<string>>();
    for (const row of rows)
      splitsBySpeaker.set(row.speaker!, (splitsBySpeaker.get(row.speaker!) ?? new Set()).add(row.split!));
    for (const splits of splitsBySpeaker.values()) expect(splits.size).toBe(1);
    expect(rows[0]).toHaveProperty('wer');
    expect(rows[0]).toHaveProperty('face_ratio');
  });

  it('/stats, /sentences add and /block work for an admin', async () => {
    // Prepare
    const admin = userOf(stack, ADMIN_ID, 'en');
    const blocked = userOf(stack, 820080, 'en');

    // Act
    await admin.text('/sentences add en\nThe red kite flew over the hill.\nThe red kite flew over the hill.\nx');
    const added = admin.lastMessage().text;
    await admin.text('/stats');
    const stats = admin.lastMessage().text;
    await admin.text('/block 820080');
    await blocked.text('/start');

    // Assess
    expect(added).toBe('Added 1 sentences (0 already existed, 1 rejected).');
    expect(stats).toMatch(/^Contributors: \d+/);
    expect(stats).toMatch(new RegExp(`Sentences en: ${ENGLISH_SENTENCES + 1} offered`));
    expect(blocked.lastMessage().text).toBe(MESSAGES.en.blocked);
  });

  itWithGrid('/clear_test_data asks first, then deletes only data marked as test', async () => {
    // Prepare
    const tester = userOf(stack, TEST_USER_ID, 'en');
    await readyToRecord(tester);
    const realKeysBefore = await storedKeys(820070);
    const admin = userOf(stack, ADMIN_ID, 'en');

    // Act
    await admin.text('/clear_test_data');
    const confirmation = admin.lastMessage();
    const testKeysAfterAsking = await storedKeys(TEST_USER_ID);
    await admin.press(admin.button('clear:').replace(/:(yes|no)$/, ':yes'));

    // Assess
    expect(confirmation.text).toMatch(/^Delete every recording/);
    expect(testKeysAfterAsking).toHaveLength(1);
    expect(await storedKeys(TEST_USER_ID)).toEqual([]);
    expect(await storedKeys(820070)).toEqual(realKeysBefore);
    expect(admin.lastMessage().text).toMatch(/^Deleted 1 test recordings, 1 test contributors/);
  });
});
