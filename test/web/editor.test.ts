/**
 * The caption editor in Debian's Chromium, on support/results-stack.ts (s3rver with S3's
 * conditional writes, dynalite, the api handler behind the local gateway, one finished job).
 * The tests run in order on one job, as a person would: name, correct, reload, race a
 * second tab, restore, and a hostile name.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { testOutputDir } from '../support/paths';
import { launchChromium } from './support/chromium';
import { FINISHED_JOB_ID, FUSED_CUE_TEXT, TOKEN, startResultsStack, type ResultsStack } from './support/results-stack';

const screenshots = testOutputDir('web');
const XSS_NAME = '<img src=x onerror=alert(1)>';

describe('the caption editor', () => {
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

  async function openJob(): Promise<Page> {
    const tab = await browser.newPage({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
    tab.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    tab.on('pageerror', (error) => pageErrors.push(error.message));
    await tab.goto(stack.gateway.pageUrl);
    await tab.getByRole('list', { name: 'Jobs' }).waitFor();
    await tab.goto(`${stack.gateway.url}#/jobs/${FINISHED_JOB_ID}`);
    await tab.getByRole('list', { name: 'Captions to edit' }).locator('li').first().waitFor({ timeout: 30_000 });
    return tab;
  }

  /** Clicks a download button and returns the file's name and text. */
  async function download(tab: Page, name: RegExp): Promise<{ fileName: string; text: string }> {
    const [file] = await Promise.all([tab.waitForEvent('download'), tab.getByRole('button', { name }).click()]);
    const filePath = await file.path();
    return { fileName: file.suggestedFilename(), text: await readFile(filePath, 'utf8') };
  }

  const fusedCueTexts = (tab: Page) =>
    tab.evaluate(() => {
      const track = Array.from(document.querySelector('video')!.textTracks).find((t) => t.label === 'Fused')!;
      return Array.from(track.cues ?? []).map((cue) => (cue as VTTCue).text);
    });

  beforeEach(async () => {
    dialogs.length = 0;
    pageErrors.length = 0;
    page = await openJob();
  });

  afterEach(async () => {
    await page.close();
  });

  it('renames S1, and the VTT, the SRT, the transcript, the face label and the tracks in the player show the name', async () => {
    // Act
    const name = page.getByLabel('Name of S1');
    await name.fill('Dana Cohen');
    await name.press('Enter');
    await page.getByText('Editing version 1').waitFor();

    // Assess
    const vtt = await download(page, /Captions \(VTT\)/);
    const srt = await download(page, /Captions \(SRT\)/);
    expect(vtt.fileName).toBe('bbaf2n.captions.v1.vtt');
    expect(vtt.text).toContain(`<v Dana Cohen>Dana Cohen: ${FUSED_CUE_TEXT}`);
    expect(vtt.text).toContain('NOTE Gorggle job f00dfacef00dfacef00dfacef00dface, edited captions version 1');
    expect(srt.fileName).toBe('bbaf2n.captions.v1.srt');
    expect(srt.text).toContain(`Dana Cohen: ${FUSED_CUE_TEXT}`);
    await expect(page.locator('.line .speaker').first().innerText()).resolves.toBe('Dana Cohen');
    await page.evaluate(() => {
      document.querySelector('video')!.currentTime = 1.0;
    });
    await expect(page.locator('.face-box.speaking').innerText()).resolves.toBe('Dana Cohen · speaking');
    await expect(fusedCueTexts(page)).resolves.toContain(`<v Dana Cohen>Dana Cohen: ${FUSED_CUE_TEXT}`);
    await page.getByLabel('Speech only').check();
    await page.waitForFunction(() => {
      const track = Array.from(document.querySelector('video')!.textTracks).find((t) => t.label === 'Speech only');
      return Array.from(track?.cues ?? []).some((cue) => (cue as VTTCue).text.startsWith('<v Dana Cohen>'));
    });
    expect(pageErrors).toEqual([]);
  });

  it('corrects a word: the downloaded SRT has it, and it is still there after a reload', async () => {
    // Act
    const text = page.getByLabel('Text of caption 1');
    await text.fill('bin blue at F two now');
    await text.press('Enter');
    await page.getByRole('button', { name: 'Save version' }).click();
    await page.getByText('Editing version 2').waitFor();
    const srt = await download(page, /Captions \(SRT\)/);
    await page.reload();
    await page.getByText('Editing version 2').waitFor({ timeout: 30_000 });

    // Assess
    expect(srt.fileName).toBe('bbaf2n.captions.v2.srt');
    expect(srt.text).toContain('Dana Cohen: bin blue at F two now');
    await expect(page.getByLabel('Text of caption 1').inputValue()).resolves.toBe('bin blue at F two now');
    await expect(page.locator('.line .words').first().innerText()).resolves.toMatch(/at\s+88% both\s+F\s+edited\s+two/);
  });

  it('refuses a save from a second tab that was opened on an older version, with its message', async () => {
    // Prepare: two tabs on version 2
    const other = await openJob();
    await other.getByText('Editing version 2').waitFor();

    // Act: this tab saves first, then the other one
    await page.getByLabel('Text of caption 2').fill('yes indeed');
    await page.getByLabel('Text of caption 2').press('Enter');
    await page.getByRole('button', { name: 'Save version' }).click();
    await page.getByText('Editing version 3').waitFor();
    await other.getByLabel('Text of caption 2').fill('no');
    await other.getByLabel('Text of caption 2').press('Enter');
    await other.getByRole('button', { name: 'Save version' }).click();

    // Assess
    const refusal = other.locator('.editor [role="alert"]');
    await refusal.getByText('Not saved').waitFor();
    await expect(refusal.innerText()).resolves.toBe(
      'Not saved: you were editing version 2, but version 3 has been saved since (in another tab, or by someone ' +
        'else). Reload to see the latest version, then make your change again.',
    );
    await expect(other.getByLabel('Text of caption 2').inputValue()).resolves.toBe('no');
    await other.screenshot({ path: path.join(screenshots, 'editor-stale-save.png'), fullPage: true });
    await other.close();
    const srt = await download(page, /Captions \(SRT\)/);
    expect(srt.text).toContain('yes indeed');
  });

  it('drives captions from the keyboard: split at the cursor, merge, nudge a time, the video seeking to each', async () => {
    // Act: split caption 1 before "at"
    const first = page.getByLabel('Text of caption 1');
    await first.focus();
    await page.waitForFunction(() => Math.abs(document.querySelector('video')!.currentTime - 0.5) < 0.01);
    await first.evaluate((input: HTMLInputElement) => input.setSelectionRange(9, 9));
    await first.press('Control+Enter');
    const afterSplit = await page
      .locator('.cue-text')
      .evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).value));
    const second = page.getByLabel('Text of caption 2');
    await expect(second.evaluate((input) => input === document.activeElement)).resolves.toBe(true);
    await page.waitForFunction(() => Math.abs(document.querySelector('video')!.currentTime - 1.3) < 0.01);
    await page.getByLabel('End of caption 2 (seconds)').press('ArrowUp');
    const movedEnd = await page.getByLabel('End of caption 2 (seconds)').inputValue();
    await page.getByLabel('Text of caption 1').press('Alt+m');
    const afterMerge = await page
      .locator('.cue-text')
      .evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).value));

    // Assess
    expect(afterSplit).toEqual(['bin blue', 'at F two now', 'yes indeed']);
    expect(Number(movedEnd)).toBeCloseTo(3.05, 2);
    expect(afterMerge).toEqual(['bin blue at F two now', 'yes indeed']);
    await expect(page.getByText('unsaved changes').count()).resolves.toBe(1);
  });

  it('lists the versions, views one read-only, and restores the original as a new version', async () => {
    // Act
    await page.getByText('Versions', { exact: true }).click();
    await expect(page.locator('.version-row').count()).resolves.toBe(4);
    await page.getByRole('button', { name: 'View version 1' }).click();
    await page.getByText('Viewing version 1 (read-only).').waitFor();
    const viewed = await page.getByLabel('Text of caption 1').inputValue();
    const disabled = await page.getByLabel('Text of caption 1').isDisabled();
    await page.getByRole('button', { name: 'View original' }).click();
    await page.getByRole('button', { name: 'Restore the original captions' }).click();
    await page.getByText('Editing version 4').waitFor();

    // Assess
    expect(viewed).toBe(FUSED_CUE_TEXT);
    expect(disabled).toBe(true);
    const srt = await download(page, /Captions \(SRT\)/);
    expect(srt.fileName).toBe('bbaf2n.captions.v4.srt');
    expect(srt.text).toContain(`Speaker 1: ${FUSED_CUE_TEXT}`);
    await expect(page.locator('.version-row').count()).resolves.toBe(5);
    await page.screenshot({ path: path.join(screenshots, 'editor-versions.png'), fullPage: true });
  });

  it('shows a speaker named with markup as text everywhere, and runs none of it', async () => {
    // Act
    const name = page.getByLabel('Name of S1');
    await name.fill(XSS_NAME);
    await name.press('Enter');
    await page.getByText('Editing version 5').waitFor();
    await page.evaluate(() => {
      document.querySelector('video')!.currentTime = 1.0;
    });
    const vtt = await download(page, /Captions \(VTT\)/);

    // Assess
    await expect(page.locator('.line .speaker').first().innerText()).resolves.toBe(XSS_NAME);
    await expect(page.locator('.cue-speaker').first().innerText()).resolves.toBe(XSS_NAME);
    await expect(page.locator('.face-box.speaking').innerText()).resolves.toBe(`${XSS_NAME} · speaking`);
    await expect(page.getByLabel('Name of S1').inputValue()).resolves.toBe(XSS_NAME);
    await expect(page.locator('img').count()).resolves.toBe(0);
    await expect(fusedCueTexts(page)).resolves.toContain(
      `<v _img src=x onerror=alert(1)_>&lt;img src=x onerror=alert(1)&gt;: ${FUSED_CUE_TEXT}`,
    );
    expect(vtt.text).toContain('&lt;img src=x onerror=alert(1)&gt;: ');
    expect(vtt.text).not.toContain('<img');
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.screenshot({ path: path.join(screenshots, 'editor-hostile-name.png'), fullPage: true });
  });

  it('refuses a name with a line break or over 80 characters, saying why, and any edit without the token', async () => {
    // Act
    const answers = await page.evaluate(
      async ({ apiUrl, jobId, token }) => {
        const save = (name: string) =>
          fetch(`${apiUrl}/jobs/${jobId}/edits`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ basedOn: 5, speakers: [{ id: 'S1', name }], segments: [] }),
          }).then(async (response) => ({ status: response.status, body: await response.json() }));
        const anonymous = await fetch(`${apiUrl}/jobs/${jobId}/edits`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ basedOn: 5, speakers: [], segments: [] }),
        });
        return [await save('Dana\nCohen'), await save('x'.repeat(81)), { status: anonymous.status, body: {} }];
      },
      { apiUrl: stack.gateway.apiUrl, jobId: FINISHED_JOB_ID, token: TOKEN },
    );

    // Assess
    // The local gateway plays the authorizer for the edit routes too.
    expect(answers.map((answer) => answer.status)).toEqual([400, 400, 401]);
    expect(answers[0]!.body.error.message).toMatch(
      /speakers\.0\.name: a speaker name must not contain control characters/,
    );
    expect(answers[1]!.body.error.message).toMatch(/a speaker name must be at most 80 characters/);
  });
});
