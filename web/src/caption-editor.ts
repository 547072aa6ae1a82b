/**
 * The caption editor on the job page: correct words and captions, split and merge them,
 * move their times, name the speakers, save each change as a version, view and restore
 * versions, and download the captions of the latest one by the layout rules chosen. Every
 * control works from the keyboard, and the video seeks to the caption being edited.
 */
import type { ResultDocument } from '../../functions/lib/contracts/documents';
import {
  mergeWithNext,
  moveSegment,
  renameSpeaker,
  setSegmentText,
  splitSegment,
  tokensOf,
  type CaptionDraft,
} from '../../functions/lib/edits/caption-draft';
import { DEFAULT_LAYOUT } from '../../functions/lib/fuse/cues';
import { ApiRequestError, type Api, type EditVersionResponse, type EditVersionsResponse } from './api';
import { announce, formatDate, h, render } from './dom';

type Segment = CaptionDraft['segments'][number];
type Field = 'text' | 'start' | 'end';

export interface EditorHost {
  /** The draft shown changed: redraw the transcript, speakers, faces and the fused track. */
  onDraft(draft: CaptionDraft): void;
  label(id: string): string;
  seek(seconds: number): void;
  /** A version was saved or restored: what the server draws from it (the modality tracks) changed. */
  onSaved?(): void;
}

const LAYOUT_FIELDS = [
  ['maxLineChars', 'Characters per line', 1],
  ['maxLines', 'Lines per caption', 1],
  ['maxCharsPerSec', 'Characters per second', 0.5],
  ['minDurationSec', 'Shortest caption (s)', 0.1],
  ['maxDurationSec', 'Longest caption (s)', 0.5],
  ['pauseSec', 'New caption after a pause of (s)', 0.1],
] as const;

const DOWNLOADS = [
  ['vtt', 'fused', 'Captions (VTT)'],
  ['srt', 'fused', 'Captions (SRT)'],
  ['json', 'fused', 'Result (JSON)'],
  ['vtt', 'audio', 'Speech only (VTT)'],
  ['vtt', 'visual', 'Lip reading only (VTT)'],
] as const;

const describeVersion = (version: number) => (version === 0 ? 'the original captions' : `version ${version}`);

export class CaptionEditor {
  /** The latest saved version, which a save builds on. */
  private saved: EditVersionResponse;
  private draft: CaptionDraft;
  private dirty = false;
  /** A version shown read-only, when one is being viewed. */
  private viewing: EditVersionResponse | undefined;
  private versions: EditVersionsResponse['versions'] = [];
  private lastFocused = -1;

  readonly element = h('section', { class: 'card editor', 'aria-labelledby': 'editor-heading' });
  readonly downloads = h('section', { class: 'card', 'aria-labelledby': 'downloads-heading' });
  private readonly status = h('p', { class: 'editor-status', 'aria-live': 'polite' });
  private readonly message = h('p', { class: 'error-text', role: 'alert' });
  private readonly cues = h('ol', { class: 'cue-list', 'aria-label': 'Captions to edit' });
  private readonly versionList = h('ol', { class: 'version-list', 'aria-label': 'Versions' });
  private readonly saveButton = h(
    'button',
    { type: 'button', class: 'button primary', onclick: () => void this.save() },
    'Save version',
  );
  private readonly layoutInputs = new Map<string, HTMLInputElement>();
  private readonly downloadNote = h('p', { class: 'small muted' });
  private readonly downloadMessage = h('p', { class: 'error-text', role: 'alert' });

  constructor(
    private readonly api: Api,
    private readonly jobId: string,
    private readonly result: ResultDocument,
    latest: EditVersionResponse,
    private readonly host: EditorHost,
  ) {
    this.saved = latest;
    this.draft = latest.draft;
    this.element.addEventListener('keydown', (event) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
        event.preventDefault();
        void this.save();
      }
    });
    render(
      this.element,
      h('h2', { id: 'editor-heading' }, 'Edit captions'),
      h(
        'p',
        { class: 'small muted', id: 'editor-keys' },
        'Change a caption’s text and press Enter (the next caption follows). Ctrl+Enter splits at the cursor, ',
        'Alt+M merges with the next caption, Alt+↑/↓ moves between captions, arrow keys in a time nudge it, ',
        'Ctrl+S saves. The video jumps to the caption you edit.',
      ),
      this.status,
      h('div', { class: 'editor-actions' }, this.saveButton),
      this.message,
      this.cues,
      h(
        'details',
        { class: 'versions' },
        h('summary', {}, 'Versions'),
        h('p', { class: 'small muted' }, 'Every save is kept. View one, or restore it as the newest version.'),
        this.versionList,
      ),
    );
    this.renderDownloads();
    this.redraw();
    void this.loadVersions();
  }

  /** Names a speaker and saves at once: a name is one action. */
  async rename(speaker: { id: string; label: string }, name: string): Promise<void> {
    if (this.viewing) return;
    this.update(renameSpeaker(this.draft, speaker, name));
    await this.save(`named ${speaker.id}`);
  }

  get readOnly(): boolean {
    return this.viewing !== undefined;
  }

  private update(draft: CaptionDraft, focus?: { index: number; field: Field }): void {
    this.draft = draft;
    this.dirty = true;
    this.redraw(focus);
  }

  private shown(): CaptionDraft {
    return this.viewing?.draft ?? this.draft;
  }

  private redraw(focus?: { index: number; field: Field }): void {
    this.host.onDraft(this.shown());
    const version = this.viewing ? this.viewing.version : this.saved.version;
    this.status.textContent = this.viewing
      ? `Viewing ${describeVersion(version)} (read-only).`
      : `Editing ${describeVersion(this.saved.version)}${this.saved.savedAt ? `, saved ${formatDate(this.saved.savedAt)}` : ''}${this.dirty ? ' · unsaved changes' : ''}.`;
    this.saveButton.disabled = this.readOnly || !this.dirty;
    this.downloadNote.textContent = `Downloads come from the latest saved version: ${describeVersion(this.saved.version)}.`;
    render(
      this.cues,
      this.shown().segments.map((segment, index) => this.cueRow(segment, index)),
    );
    if (this.viewing) {
      this.cues.before(this.viewingBanner());
    } else {
      this.element.querySelector('.viewing-banner')?.remove();
    }
    if (focus) {
      const selector = { text: '.cue-text', start: '.cue-start', end: '.cue-end' }[focus.field];
      this.cues.children[focus.index]?.querySelector<HTMLInputElement>(selector)?.focus();
    }
  }

  private viewingBanner(): HTMLElement {
    this.element.querySelector('.viewing-banner')?.remove();
    const viewing = this.viewing;
    return h(
      'div',
      { class: 'viewing-banner warning-box' },
      `You are viewing ${describeVersion(viewing?.version ?? 0)}. `,
      h(
        'button',
        { type: 'button', class: 'button', onclick: () => void this.restore(viewing?.version ?? 0) },
        `Restore ${describeVersion(viewing?.version ?? 0)}`,
      ),
      ' ',
      h('button', { type: 'button', class: 'button link', onclick: () => this.backToLatest() }, 'Back to editing'),
    );
  }

  private cueRow(segment: Segment, index: number): HTMLLIElement {
    const disabled = this.readOnly;
    const text = h('input', {
      type: 'text',
      class: 'cue-text',
      value: segment.words.map((word) => word.text).join(' '),
      'aria-label': `Text of caption ${index + 1}`,
      'aria-describedby': 'editor-keys',
      disabled,
      autocomplete: 'off',
      spellcheck: true,
    });
    const time = (field: 'start' | 'end') =>
      h('input', {
        type: 'number',
        class: `cue-${field}`,
        step: '0.05',
        min: '0',
        value: segment[field].toFixed(2),
        'aria-label': `${field === 'start' ? 'Start' : 'End'} of caption ${index + 1} (seconds)`,
        disabled,
        onchange: (event: Event) => {
          const value = Number((event.target as HTMLInputElement).value);
          if (!Number.isFinite(value)) return;
          this.updateSegment(index, moveSegment(segment, { [field]: value }, this.result.metrics.durationSec), field);
        },
      });
    text.addEventListener('change', () => this.setText(index, text.value));
    text.addEventListener('keydown', (event) => this.onTextKey(event, index, text));
    const row = h(
      'li',
      { class: 'cue-row', 'data-index': String(index) },
      h(
        'div',
        { class: 'cue-head' },
        h('span', { class: 'cue-speaker' }, this.host.label(segment.speaker)),
        h('label', { class: 'cue-time' }, 'from ', time('start')),
        h('label', { class: 'cue-time' }, 'to ', time('end')),
        h(
          'button',
          {
            type: 'button',
            class: 'button small-button',
            disabled: disabled || segment.words.length < 2,
            onclick: () => this.split(index, text),
          },
          'Split at cursor',
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'button small-button',
            disabled: disabled || index === this.shown().segments.length - 1,
            onclick: () => this.merge(index),
          },
          'Merge with next',
        ),
      ),
      text,
    );
    row.addEventListener('focusin', () => {
      if (this.lastFocused === index) return;
      this.lastFocused = index;
      this.host.seek(segment.start);
    });
    return row;
  }

  private updateSegment(index: number, segment: Segment | undefined, field: Field): void {
    const segments = [...this.draft.segments];
    if (segment) segments[index] = segment;
    else segments.splice(index, 1);
    this.update({ ...this.draft, segments }, { index: Math.min(index, segments.length - 1), field });
  }

  private setText(index: number, value: string): void {
    const segment = this.draft.segments[index];
    if (!segment || this.readOnly) return;
    const current = segment.words.map((word) => word.text).join(' ');
    if (tokensOf(value).join(' ') === current) return;
    this.updateSegment(index, setSegmentText(segment, value), 'text');
    announce(`Caption ${index + 1} changed.`);
  }

  private split(index: number, input: HTMLInputElement): void {
    this.setText(index, input.value);
    const segment = this.draft.segments[index];
    if (!segment) return;
    // The word at the cursor starts the new caption.
    const caret = input.selectionStart ?? input.value.length;
    const wordIndex = tokensOf(input.value.slice(0, caret)).length - (/\S$/.test(input.value.slice(0, caret)) ? 1 : 0);
    const at = Math.min(Math.max(wordIndex, 1), segment.words.length - 1);
    this.update(
      { ...this.draft, segments: splitSegment(this.draft.segments, index, at) },
      { index: index + 1, field: 'text' },
    );
    announce(`Caption ${index + 1} split in two.`);
  }

  private merge(index: number): void {
    this.update({ ...this.draft, segments: mergeWithNext(this.draft.segments, index) }, { index, field: 'text' });
    announce(`Captions ${index + 1} and ${index + 2} merged.`);
  }

  private onTextKey(event: KeyboardEvent, index: number, input: HTMLInputElement): void {
    const focusText = (target: number) =>
      this.cues.children[target]?.querySelector<HTMLInputElement>('.cue-text')?.focus();
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      this.split(index, input);
    } else if (event.key === 'Enter') {
      event.preventDefault();
      this.setText(index, input.value);
      focusText(index + 1);
    } else if (event.altKey && (event.key === 'ArrowDown' || event.key === 'ArrowUp')) {
      event.preventDefault();
      this.setText(index, input.value);
      focusText(event.key === 'ArrowDown' ? index + 1 : index - 1);
    } else if (event.altKey && event.key.toLowerCase() === 'm') {
      event.preventDefault();
      this.setText(index, input.value);
      this.merge(index);
    }
  }

  private async save(summary?: string): Promise<void> {
    if (this.readOnly || !this.dirty) return;
    // A text still being typed counts: its change event has not fired yet.
    const active = document.activeElement;
    if (active instanceof HTMLInputElement && active.classList.contains('cue-text')) {
      const index = Number(active.closest('.cue-row')?.getAttribute('data-index'));
      if (Number.isInteger(index)) this.setText(index, active.value);
    }
    this.saveButton.disabled = true;
    this.message.textContent = '';
    try {
      const saved = await this.api.saveEdits(this.jobId, this.saved.version, this.draft, summary);
      this.saved = saved;
      this.draft = saved.draft;
      this.dirty = false;
      announce(`Saved as version ${saved.version}.`);
      this.redraw();
      this.host.onSaved?.();
      await this.loadVersions();
    } catch (error) {
      this.message.textContent =
        error instanceof ApiRequestError && error.code === 'EDIT_CONFLICT'
          ? error.message
          : `Not saved: ${error instanceof Error ? error.message : String(error)}`;
      this.saveButton.disabled = false;
    }
  }

  private async loadVersions(): Promise<void> {
    try {
      const list = await this.api.listEdits(this.jobId);
      this.versions = list.versions;
    } catch (error) {
      this.message.textContent = `The versions could not be listed: ${error instanceof Error ? error.message : String(error)}`;
      return;
    }
    render(
      this.versionList,
      [...this.versions]
        .reverse()
        .map((info) =>
          h(
            'li',
            { class: 'version-row', 'data-version': String(info.version) },
            h(
              'span',
              {},
              info.version === 0 ? 'Original captions' : `Version ${info.version}`,
              info.savedAt ? h('span', { class: 'small muted' }, ` · saved ${formatDate(info.savedAt)}`) : null,
              info.version === this.saved.version ? h('strong', {}, ' · latest') : null,
            ),
            h(
              'button',
              { type: 'button', class: 'button small-button', onclick: () => void this.view(info.version) },
              `View ${info.version === 0 ? 'original' : `version ${info.version}`}`,
            ),
          ),
        ),
    );
  }

  private async view(version: number): Promise<void> {
    this.message.textContent = '';
    try {
      this.viewing = await this.api.getEdits(this.jobId, version);
      this.redraw();
      this.element.querySelector<HTMLButtonElement>('.viewing-banner button')?.focus();
    } catch (error) {
      this.message.textContent = error instanceof Error ? error.message : String(error);
    }
  }

  private backToLatest(): void {
    this.viewing = undefined;
    this.redraw();
  }

  private async restore(version: number): Promise<void> {
    this.message.textContent = '';
    try {
      const saved = await this.api.restoreEdits(this.jobId, version, this.saved.version);
      this.viewing = undefined;
      this.saved = saved;
      this.draft = saved.draft;
      this.dirty = false;
      announce(`Restored ${describeVersion(version)} as version ${saved.version}.`);
      this.redraw();
      this.host.onSaved?.();
      await this.loadVersions();
    } catch (error) {
      this.message.textContent = error instanceof Error ? error.message : String(error);
    }
  }

  private renderDownloads(): void {
    const inputs = LAYOUT_FIELDS.map(([name, label, step]) => {
      const input = h('input', {
        type: 'number',
        id: `layout-${name}`,
        name,
        step: String(step),
        value: String(DEFAULT_LAYOUT[name]),
      });
      this.layoutInputs.set(name, input);
      return h('label', { class: 'layout-field', for: `layout-${name}` }, label, input);
    });
    render(
      this.downloads,
      h('h2', { id: 'downloads-heading' }, 'Downloads'),
      this.downloadNote,
      h(
        'nav',
        { class: 'downloads', 'aria-label': 'Downloads' },
        DOWNLOADS.filter(([, track]) => track !== 'visual' || this.result.modalities.lipreading.status === 'succeeded')
          .filter(([, track]) => track !== 'audio' || this.result.modalities.transcribe.status === 'succeeded')
          .map(([format, track, label]) =>
            h(
              'button',
              { type: 'button', class: 'button', onclick: () => void this.download(format, track) },
              `⬇ ${label}`,
            ),
          ),
      ),
      h(
        'details',
        { class: 'layout' },
        h('summary', {}, 'Caption layout'),
        h('p', { class: 'small muted' }, 'Broadcast defaults (Netflix, BBC); they apply to the next download.'),
        h('div', { class: 'layout-fields' }, inputs),
      ),
      this.downloadMessage,
    );
  }

  private async download(format: string, track: string): Promise<void> {
    this.downloadMessage.textContent = '';
    const query: Record<string, string> = { format, track };
    for (const [name, input] of this.layoutInputs) {
      if (input.value !== '' && Number(input.value) !== DEFAULT_LAYOUT[name as keyof typeof DEFAULT_LAYOUT]) {
        query[name] = input.value;
      }
    }
    try {
      const file = await this.api.exportFile(this.jobId, query);
      const url = URL.createObjectURL(file.blob);
      const link = h('a', { href: url, download: file.fileName, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      announce(`Downloaded ${file.fileName} (${describeVersion(file.version)}).`);
    } catch (error) {
      this.downloadMessage.textContent = error instanceof Error ? error.message : String(error);
    }
  }
}

/** The editor for a finished job: its latest saved version, or the original captions. */
export async function openCaptionEditor(
  api: Api,
  jobId: string,
  result: ResultDocument,
  host: EditorHost,
): Promise<CaptionEditor> {
  const list = await api.listEdits(jobId);
  const latest = await api.getEdits(jobId, list.latest);
  return new CaptionEditor(api, jobId, result, latest, host);
}
