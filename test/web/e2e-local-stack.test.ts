/**
 * The page on the whole local stack, as `make local` serves it (no lip-reading model, so lip
 * reading is skipped and the page says why): upload a GRID clip through the file picker,
 * follow its job from the list through the stage timeline to COMPLETED, then read the fused
 * caption, the speaker and the speaking face's box off the result view. One stack, one clip,
 * random ports.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { facesDocumentSchema } from '../../functions/lib/contracts/documents';
import { GorggleClient } from '../../scripts/gorggle-cli/gorggle-client';
import { targetForStack } from '../../scripts/gorggle-cli/target';
import { startLocalStack, type LocalStack } from '../../scripts/local-stack/stack';
import { startOptionalApi, type RunningApi } from '../../scripts/local/optional-api';
import { parseWebVtt } from '../integration/support/media';
import { gridClip, gridAvailable, testOutputDir } from '../support/paths';
import { localStackArtefacts, requireBuilt } from '../support/built-artifacts';
import { CHROMIUM, CHROMIUM_FLAGS } from './support/chromium';

const SECONDS = 1000;
const CLIP = 'bbaf2n.mpg';
/** Where the test reads the captions and the face box. */
const AT_SECONDS = 1.0;

requireBuilt({ ...(await localStackArtefacts()), 'Debian chromium (make setup)': existsSync(CHROMIUM) });
// The GRID clips live beside the repository, not in it.
const ready = gridAvailable();
if (!ready) console.warn('test/web/e2e-local-stack skipped: needs ../shared/fixtures/grid.');

(ready ? describe : describe.skip)('the web page on the local stack', () => {
  let dataDir: string;
  let stack: LocalStack | undefined;
  let api: RunningApi | undefined;
  let client: GorggleClient | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'gorggle-web-e2e-'));
    stack = await startLocalStack({ ports: 'random', dataDir });
    api = await startOptionalApi(stack, { port: 0 });
    if (!api) throw new Error('The results API and page did not start on the local stack (see the warning above).');
    client = new GorggleClient(targetForStack(stack));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 120 * SECONDS);

  afterAll(async () => {
    // Each step runs even when an earlier one failed, so no Chromium or server outlives the file.
    await browser?.close().catch(() => undefined);
    await api?.close().catch(() => undefined);
    client?.close();
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 30 * SECONDS);

  it(
    'uploads a GRID clip, follows its stages to COMPLETED and shows the fused caption, its speaker and the speaking face',
    async () => {
      // Prepare
      await page.goto(api!.pageUrl);
      await page.getByRole('heading', { name: 'Jobs' }).waitFor();

      // Act: upload through the file picker, then open the job from the list.
      await page.locator('#file-input').setInputFiles(gridClip(CLIP));
      await page.locator('.upload-row.ok').waitFor({ timeout: 30 * SECONDS });
      const jobLink = page.getByRole('list', { name: 'Jobs' }).getByRole('link', { name: CLIP, exact: true });
      await jobLink.waitFor({ timeout: 30 * SECONDS });
      await jobLink.click();

      // Act: watch the timeline as the page redraws it, until the job is finished.
      const timelines: string[] = [];
      const deadline = Date.now() + 120 * SECONDS;
      let status = '';
      while (!/^(COMPLETED|DEGRADED|FAILED)$/.test(status) && Date.now() < deadline) {
        const timeline = (
          await page
            .locator('.stage')
            .evaluateAll((items) =>
              items.map((item) => `${item.getAttribute('data-stage')} ${item.querySelector('.badge')?.textContent}`),
            )
        ).join(', ');
        if (timeline && timeline !== timelines.at(-1)) timelines.push(timeline);
        const badge = page.locator('.job-title .badge');
        status = ((await badge.count()) ? await badge.textContent() : '') ?? '';
        await page.waitForTimeout(250);
      }

      // Assess: the timeline
      const jobId = decodeURIComponent(/#\/jobs\/([^/?]+)/.exec(page.url())?.[1] ?? '');
      expect(status).toBe('COMPLETED');
      // It went live through running stages, and ended with lip reading skipped, saying why.
      expect(timelines.slice(0, -1).some((timeline) => timeline.includes(' running'))).toBe(true);
      const stages = await page
        .locator('.stage')
        .evaluateAll((items) =>
          items.map((item) => `${item.getAttribute('data-stage')} ${item.querySelector('.badge')?.textContent}`),
        );
      expect(stages).toEqual([
        'extract succeeded',
        'transcribe succeeded',
        'faces succeeded',
        'lipreading skipped',
        'fuse succeeded',
      ]);
      await expect(page.locator('[data-stage="lipreading"]').innerText()).resolves.toContain(
        'no lip-reading model configured (set GORGGLE_MODEL_DIR)',
      );

      // Act: the result view at AT_SECONDS
      await page.waitForFunction(() => (document.querySelector('video')?.readyState ?? 0) >= 2, undefined, {
        timeout: 20 * SECONDS,
      });
      await page.evaluate((time) => {
        document.querySelector('video')!.currentTime = time;
      }, AT_SECONDS);
      await page.waitForFunction(
        () => {
          const track = Array.from(document.querySelector('video')!.textTracks).find((t) => t.mode === 'showing');
          return Boolean(track?.activeCues?.length) && document.querySelector('.face-box') !== null;
        },
        undefined,
        { timeout: 10 * SECONDS },
      );

      // Assess: the caption the page shows is the pipeline's fused cue at that time.
      const cues = parseWebVtt((await client!.readProcessed(`jobs/${jobId}/captions.vtt`)).toString('utf8'));
      const expectedCue = cues.find((cue) => cue.start <= AT_SECONDS && AT_SECONDS < cue.end);
      expect(expectedCue?.text).toMatch(/\w+/);
      const shown = await page.evaluate(() => {
        const track = Array.from(document.querySelector('video')!.textTracks).find((t) => t.mode === 'showing')!;
        return { label: track.label, cues: Array.from(track.activeCues ?? []).map((cue) => (cue as VTTCue).text) };
      });
      expect(shown).toEqual({ label: 'Fused', cues: [expectedCue?.text] });

      // Assess: one face box, where faces.json puts the face nearest that time.
      const faces = facesDocumentSchema.parse(
        JSON.parse((await client!.readProcessed(`jobs/${jobId}/faces.json`)).toString('utf8')),
      );
      const nearest = faces.detections.reduce((best, detection) =>
        Math.abs(detection.time - AT_SECONDS) < Math.abs(best.time - AT_SECONDS) ? detection : best,
      );
      const box = page.locator('.face-box.speaking');
      await expect(page.locator('.face-box').count()).resolves.toBe(1);
      await expect(box.innerText()).resolves.toBe('Speaker 1 · speaking');
      await expect(page.locator('.line .speaker').first().innerText()).resolves.toBe('Speaker 1');
      const [frame, drawn] = await Promise.all([page.locator('.video-frame').boundingBox(), box.boundingBox()]);
      expect((drawn!.x - frame!.x) / frame!.width).toBeCloseTo(nearest.box.left, 1);
      expect((drawn!.y - frame!.y) / frame!.height).toBeCloseTo(nearest.box.top, 1);
      expect(drawn!.width / frame!.width).toBeCloseTo(nearest.box.width, 1);
      expect(drawn!.height / frame!.height).toBeCloseTo(nearest.box.height, 1);
      expect(dialogs).toEqual([]);
      expect(pageErrors).toEqual([]);
      // The seeked frame, decoded, before the picture is taken.
      await page.waitForFunction(() => {
        const video = document.querySelector('video')!;
        return !video.seeking && video.readyState >= 3;
      });
      await page.screenshot({ path: path.join(testOutputDir('web'), 'e2e-result.png'), fullPage: true });
    },
    180 * SECONDS,
  );
});
