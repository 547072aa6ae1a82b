/**
 * The web page in Debian's Chromium, driven by playwright-core.
 *
 * It runs against support/results-stack.ts (s3rver, dynalite, the api handler behind the
 * local API gateway, one seeded finished job). The full journey on the whole local stack —
 * upload a GRID clip and watch the stage timeline reach COMPLETED — is e2e-local-stack.test.ts.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { testOutputDir } from '../support/paths';
import {
  FINISHED_JOB_ID,
  FUSED_CUE_TEXT,
  HOSTILE_SPEAKER_NAME,
  TOKEN,
  XSS_FILE_NAME,
  startResultsStack,
  type ResultsStack,
} from './support/results-stack';
import { launchChromium } from './support/chromium';

const screenshots = testOutputDir('web');

describe('the web page', () => {
  let stack: ResultsStack;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    stack = await startResultsStack();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  beforeEach(async () => {
    dialogs.length = 0;
    pageErrors.length = 0;
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterEach(async () => {
    await page.close();
  });

  /** Opens the link `make local` prints and waits until the page has taken the token. */
  async function signIn(target: Page): Promise<void> {
    await target.goto(stack.gateway.pageUrl);
    await target.getByRole('list', { name: 'Jobs' }).waitFor();
  }

  it('asks for the token without one, and the API refuses a wrong one', async () => {
    // Act
    await page.goto(stack.gateway.url);
    const apiAnswer = await page.evaluate(async (apiUrl) => {
      const response = await fetch(`${apiUrl}/jobs`, { headers: { authorization: 'Bearer wrong' } });
      return response.status;
    }, stack.gateway.apiUrl);

    // Assess
    await expect(page.getByLabel('Access token').isVisible()).resolves.toBe(true);
    expect(apiAnswer).toBe(401);
  });

  it('shows a hostile file name as text, in the job list and in the upload list, and opens no dialog', async () => {
    // Prepare
    await signIn(page);

    // Act
    await page.locator('#file-input').setInputFiles({
      name: XSS_FILE_NAME,
      mimeType: 'video/mp4',
      buffer: Buffer.from('not really a video, but the page cannot tell'),
    });
    await page.locator('.upload-row.ok').waitFor({ timeout: 15_000 });

    // Assess
    const jobs = page.getByRole('list', { name: 'Jobs' });
    await expect(jobs.getByText(XSS_FILE_NAME, { exact: true }).count()).resolves.toBeGreaterThan(0);
    const uploads = page.getByRole('list', { name: 'Uploads' });
    await expect(uploads.getByText(XSS_FILE_NAME, { exact: true }).count()).resolves.toBe(1);
    await expect(page.locator('img[src="x"]').count()).resolves.toBe(0);
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    // The presigned POST put it in S3 under a sanitised name.
    expect(await stack.uploadedKeys()).toEqual([expect.stringMatching(/^uploads\/[0-9a-f-]{36}\/[^<>/]+\.mp4$/)]);
    await page.screenshot({ path: path.join(screenshots, 'jobs-and-upload.png'), fullPage: true });
  });

  it('refuses a file that is not a video before uploading it', async () => {
    // Prepare
    await signIn(page);
    const before = await stack.uploadedKeys();

    // Act
    await page
      .locator('#file-input')
      .setInputFiles({ name: 'notes.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF') });

    // Assess
    await page
      .getByRole('list', { name: 'Uploads' })
      .getByText(/Not a video or audio file Gorggle takes/)
      .waitFor();
    expect(await stack.uploadedKeys()).toEqual(before);
  });

  it('plays the result with the fused caption track, the speaking face marked, speakers and the transcript', async () => {
    // Prepare
    await signIn(page);

    // Act
    await page.goto(`${stack.gateway.url}#/jobs/${FINISHED_JOB_ID}`);
    const video = page.locator('video');
    await video.waitFor();
    await page.waitForFunction(() => (document.querySelector('video')?.readyState ?? 0) >= 2, undefined, {
      timeout: 20_000,
    });
    await page.evaluate(() => {
      document.querySelector('video')!.currentTime = 1.0;
    });
    await page.waitForFunction(
      () => {
        const track = Array.from(document.querySelector('video')!.textTracks).find((t) => t.mode === 'showing');
        return Boolean(track?.activeCues?.length);
      },
      undefined,
      { timeout: 10_000 },
    );

    // Assess
    const shown = await page.evaluate(() => {
      const track = Array.from(document.querySelector('video')!.textTracks).find((t) => t.mode === 'showing')!;
      return { label: track.label, cues: Array.from(track.activeCues ?? []).map((cue) => (cue as VTTCue).text) };
    });
    expect(shown).toEqual({ label: 'Fused', cues: [`<v Speaker 1>Speaker 1: ${FUSED_CUE_TEXT}`] });
    // Both faces are boxed; only the one speaking now is marked, in its speaker's colour.
    await expect(page.locator('.face-box').count()).resolves.toBe(2);
    const box = page.locator('.face-box.speaking');
    await expect(box.count()).resolves.toBe(1);
    const [frame, face] = await Promise.all([page.locator('.video-frame').boundingBox(), box.boundingBox()]);
    expect(face!.x - frame!.x).toBeCloseTo(frame!.width * 0.1, -1);
    expect(face!.width).toBeCloseTo(frame!.width * 0.3, -1);
    await expect(box.innerText()).resolves.toBe('Speaker 1 · speaking');
    const listener = page.locator('.face-box:not(.speaking)');
    await expect(listener.innerText()).resolves.toBe(HOSTILE_SPEAKER_NAME);
    const [speakerColour, chipColour] = await Promise.all([
      box.evaluate((element) => getComputedStyle(element).borderTopColor),
      page
        .locator('.line .speaker')
        .first()
        .evaluate((element) => getComputedStyle(element).borderLeftColor),
    ]);
    expect(chipColour).toBe(speakerColour);
    // Captions are coloured by their WebVTT voice, through a constructed sheet (the CSP bars inline styles).
    const cueRules = await page.evaluate(() =>
      document.adoptedStyleSheets.flatMap((sheet) => Array.from(sheet.cssRules).map((rule) => rule.cssText)),
    );
    expect(cueRules).toHaveLength(2);
    expect(cueRules[0]).toMatch(/::cue\(v\[voice="Speaker 1"\]\) \{ color: rgb\(232, 163, 23\); \}/);
    // The speakers card and transcript name both people, the hostile name as plain text.
    const speakers = page.getByRole('list', { name: 'Speakers' });
    await expect(speakers.locator('li').allInnerTexts()).resolves.toEqual([
      expect.stringMatching(
        /^Speaker 1\s+on screen \(t1\) · voice spk_0 · 1\.8 s · speaking score 2\.10\s+Name of S1\s+Rename$/,
      ),
      expect.stringContaining(HOSTILE_SPEAKER_NAME),
    ]);
    await expect(page.locator('.line .speaker').allInnerTexts()).resolves.toEqual(['Speaker 1', HOSTILE_SPEAKER_NAME]);
    await expect(page.locator('img[src="y"]').count()).resolves.toBe(0);
    expect(dialogs).toEqual([]);
    await expect(page.locator('[data-stage="lipreading"]').count()).resolves.toBe(1);
    await expect(page.locator('.modality').filter({ hasText: 'Lip reading' }).innerText()).resolves.toMatch(
      /skipped[\s\S]*no lip-reading model configured \(set GORGGLE_MODEL_DIR\)/i,
    );
    await expect(page.locator('.stage').count()).resolves.toBe(5);
    await expect(page.locator('[data-stage="lipreading"]').innerText()).resolves.toMatch(/PollingTimeoutError/);
    await expect(page.locator('.word').first().innerText()).resolves.toMatch(/bin\s+97% both/);
    await expect(page.getByRole('button', { name: /Captions \(SRT\)/ }).count()).resolves.toBe(1);
    expect(pageErrors).toEqual([]);
    await page.screenshot({ path: path.join(screenshots, 'result-view.png'), fullPage: true });

    // Act: the audio-only track, and a click on the transcript line seeks
    await page.getByLabel('Speech only').check();
    await page.evaluate(() => {
      document.querySelector('video')!.currentTime = 3.5;
    });
    await page.getByRole('button', { name: /Play from 0:00\.5/ }).click();

    // Assess
    await page.waitForFunction(() => document.querySelector('video')!.currentTime < 3.4);
    const showing = await page.evaluate(() =>
      Array.from(document.querySelector('video')!.textTracks)
        .filter((t) => t.mode === 'showing')
        .map((t) => t.label),
    );
    expect(showing).toEqual(['Speech only']);
  });

  it('fits a phone-width screen', async () => {
    // Prepare
    await page.setViewportSize({ width: 390, height: 844 });

    // Act
    await signIn(page);
    await page.goto(`${stack.gateway.url}#/jobs/${FINISHED_JOB_ID}`);
    await page.locator('.transcript').waitFor();

    // Assess
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(screenshots, 'result-view-phone.png'), fullPage: true });
  });

  it('keeps the token out of the address bar once signed in', async () => {
    // Act
    await signIn(page);

    // Assess
    expect(page.url()).not.toContain(TOKEN);
  });
});
