import type { FacesDocument, ResultDocument } from '../../functions/lib/contracts/documents';
import { applyDraft, draftOfResult, type CaptionDraft } from '../../functions/lib/edits/caption-draft';
import { fusedCues } from '../../functions/lib/edits/caption-files';
import { webVttCueTexts } from '../../functions/lib/fuse/captions';
import type { Api, ResultResponse } from './api';
import { openCaptionEditor, type CaptionEditor } from './caption-editor';
import { formatTime, h, render } from './dom';
import { fillTrack, webVttCues } from './vtt';

type Segment = ResultDocument['segments'][number];
type Speaker = ResultDocument['speakers'][number];
type Box = { left: number; top: number; width: number; height: number };

/** One colour per speaker, in speaker order; readable on light and dark cards and on video. */
const SPEAKER_COLOURS = ['#e8a317', '#2bb3c0', '#e0529c', '#6fbf4a', '#9b7be0', '#f06a3f', '#4a90e2', '#c9b32b'];
const UNKNOWN_COLOUR = '#9aa0a6';
const UNKNOWN_LABEL = 'Unknown speaker';

/** Names and colours by speaker id (S1 is the first colour). */
export interface SpeakerStyle {
  label(id: string): string;
  colour(id: string): string;
  byFace: ReadonlyMap<string, Speaker>;
}

export function speakerStyle(speakers: readonly Speaker[]): SpeakerStyle {
  const index = new Map(speakers.map((speaker, position) => [speaker.id, position]));
  const labels = new Map(speakers.map((speaker) => [speaker.id, speaker.label]));
  return {
    label: (id) => labels.get(id) ?? UNKNOWN_LABEL,
    colour: (id) => {
      const position = index.get(id);
      return position === undefined
        ? UNKNOWN_COLOUR
        : (SPEAKER_COLOURS[position % SPEAKER_COLOURS.length] ?? UNKNOWN_COLOUR);
    },
    byFace: new Map(speakers.flatMap((speaker) => (speaker.faceId ? [[speaker.faceId, speaker] as const] : []))),
  };
}

/** The page's one sheet of caption colours, replaced for each result shown. */
let captionSheet: CSSStyleSheet | undefined;

/**
 * Colours each caption by its WebVTT voice (`<v Speaker 1>`). A constructed sheet, because
 * the page's CSP forbids inline style elements; each name is escaped for CSS, so a name
 * cannot end its selector.
 */
function applyCaptionColours(speakers: readonly Speaker[], style: SpeakerStyle): void {
  if (typeof CSSStyleSheet === 'undefined' || !('adoptedStyleSheets' in document)) return;
  if (!captionSheet) {
    captionSheet = new CSSStyleSheet();
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, captionSheet];
  }
  captionSheet.replaceSync(
    speakers
      .map((speaker) => `video::cue(v[voice="${CSS.escape(speaker.label)}"]) { color: ${style.colour(speaker.id)}; }`)
      .join('\n'),
  );
}

const SOURCE_LABELS = { audio: 'heard', visual: 'lip-read', both: 'both' } as const;
const SOURCE_TITLES = { audio: 'heard', visual: 'lip-read', both: 'heard and lip-read' } as const;
const MODALITY_LABELS = {
  transcribe: 'Speech (Amazon Transcribe)',
  faces: 'Faces (Amazon Rekognition)',
  activeSpeakers: 'Who is speaking (LR-ASD)',
  lipreading: 'Lip reading (AV-HuBERT)',
};

async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`A result file could not be read (HTTP ${response.status}).`);
  return (await response.json()) as T;
}

/**
 * The video with its caption tracks and face boxes, the caption editor, the transcript,
 * speakers, inputs and downloads. The fused track, transcript, speakers and face labels are
 * drawn from the draft being edited, so a name or a correction shows everywhere at once.
 */
export async function resultViewer(links: ResultResponse, api: Api, jobId: string): Promise<HTMLElement> {
  const { files } = links;
  if (!files.result) return h('p', { class: 'error-text' }, 'This job has no result.json.');
  const original = await fetchJson<ResultDocument>(files.result.url);
  const faces = files.faces ? await fetchJson<FacesDocument>(files.faces.url).catch(() => undefined) : undefined;

  const video = h('video', {
    controls: true,
    crossorigin: 'anonymous',
    preload: 'metadata',
    playsinline: true,
    'aria-label': 'The video with captions',
    ...(files.poster ? { poster: files.poster.url } : {}),
  });
  // The fused track is built here from the draft, so edits show as they are made.
  const fusedTrack = video.addTextTrack('captions', 'Fused', 'en');
  const trackIds = new Map<TextTrack, string>([[fusedTrack, 'fused']]);
  const tracks: Array<[string, string, string | undefined]> = [
    ['audio', 'Speech only', files.audioCaptions?.url],
    ['visual', 'Lip reading only', files.visualCaptions?.url],
  ];
  // Each modality's track comes from the export, with the speakers' names of the latest
  // version; the file fuse wrote stands in when the export has none (its modality's document is gone).
  const modalityTracks = tracks.flatMap(([id, label, url]) => {
    if (!url) return [];
    const track = video.addTextTrack('captions', label, 'en');
    trackIds.set(track, id);
    return [{ id, track, url }];
  });
  const loadModalityTracks = () =>
    Promise.all(
      modalityTracks.map(async ({ id, track, url }) => {
        const text = await api
          .exportFile(jobId, { format: 'vtt', track: id })
          .then((file) => file.blob.text())
          .catch(async () => (await fetch(url)).text())
          .catch(() => undefined);
        if (text !== undefined) fillTrack(track, webVttCues(text));
      }),
    );
  void loadModalityTracks();
  if (files.video) video.append(h('source', { src: files.video.url, type: 'video/mp4' }));

  const overlay = h('div', { class: 'face-layer', 'aria-hidden': 'true' });
  const frame = h('div', { class: 'video-frame' }, video, overlay);
  video.addEventListener('loadedmetadata', () => {
    if (video.videoWidth && video.videoHeight) frame.style.aspectRatio = `${video.videoWidth} / ${video.videoHeight}`;
  });

  let chosen = 'fused';
  const choose = (id: string) => {
    chosen = id;
    for (const track of Array.from(video.textTracks)) {
      track.mode = trackIds.get(track) === id ? 'showing' : 'disabled';
    }
  };
  const trackPicker = h(
    'fieldset',
    { class: 'track-picker' },
    h('legend', {}, 'Captions'),
    [['fused', 'Fused', 'fused'] as const, ...tracks.filter(([, , url]) => url), ['off', 'Off', 'off'] as const].map(
      ([id, label]) =>
        h(
          'label',
          {},
          h('input', {
            type: 'radio',
            name: 'captions',
            value: id,
            checked: id === 'fused',
            onchange: () => choose(id),
          }),
          ` ${label}`,
        ),
    ),
  );
  // Tracks load lazily; keep the chosen one showing as each appears.
  video.textTracks.addEventListener('addtrack', () => choose(chosen));
  queueMicrotask(() => choose(chosen));

  let result = original;
  let style = speakerStyle(result.speakers);
  const originalLabel = speakerStyle(original.speakers).label;
  const transcript = h('ol', { class: 'transcript', 'aria-label': 'Transcript' });
  const transcriptArea = h('div', {});
  const speakersArea = h('div', {});
  let editor: CaptionEditor | undefined;

  const drawFaces = () => {
    const time = video.currentTime;
    const boxes = facesAt(time, result, faces, style);
    overlay.replaceChildren(
      ...boxes.map(({ box, label, colour, speaking }) => {
        const element = h(
          'div',
          { class: speaking ? 'face-box speaking' : 'face-box', 'data-speaking': speaking ? 'true' : 'false' },
          h('span', {}, speaking ? `${label} · speaking` : label),
        );
        element.style.setProperty('--speaker-colour', colour);
        element.style.left = `${box.left * 100}%`;
        element.style.top = `${box.top * 100}%`;
        element.style.width = `${box.width * 100}%`;
        element.style.height = `${box.height * 100}%`;
        return element;
      }),
    );
    Array.from(transcript.children).forEach((line, index) => {
      const segment = result.segments[index];
      line.classList.toggle('active', Boolean(segment && time >= segment.start && time < segment.end));
    });
  };

  const showDraft = (draft: CaptionDraft) => {
    result = applyDraft(original, draft);
    style = speakerStyle(result.speakers);
    applyCaptionColours(result.speakers, style);
    const cues = fusedCues(result);
    const texts = webVttCueTexts(cues);
    fillTrack(
      fusedTrack,
      cues.map((cue, index) => ({ start: cue.start, end: cue.end, text: texts[index] ?? '' })),
    );
    render(
      transcript,
      result.segments.map((segment) => transcriptLine(segment, video, style).element),
    );
    render(
      transcriptArea,
      result.segments.length
        ? transcript
        : h('p', { class: 'muted' }, result.emptyReason === 'no speech' ? 'No speech was found.' : 'No words.'),
    );
    render(speakersArea, speakersCard(result, style, editor, originalLabel));
    drawFaces();
  };
  const seek = (seconds: number) => {
    video.pause();
    video.currentTime = seconds;
  };

  try {
    editor = await openCaptionEditor(api, jobId, original, {
      onDraft: showDraft,
      label: (id) => style.label(id),
      seek,
      onSaved: () => void loadModalityTracks(),
    });
    // The first draw came from inside the editor's constructor, before it could take names.
    render(speakersArea, speakersCard(result, style, editor, originalLabel));
  } catch (error) {
    showDraft(draftOfResult(original));
    speakersArea.before(
      h(
        'p',
        { class: 'error-text', role: 'alert' },
        `The caption editor could not load: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
  }

  const tick = () => {
    drawFaces();
    if (!video.paused && !video.ended) requestAnimationFrame(tick);
  };
  video.addEventListener('play', () => requestAnimationFrame(tick));
  video.addEventListener('seeked', drawFaces);
  video.addEventListener('timeupdate', drawFaces);
  video.addEventListener('loadeddata', drawFaces);

  const { metrics } = original;
  return h(
    'div',
    { class: 'result' },
    h(
      'div',
      { class: 'result-main' },
      h(
        'section',
        { class: 'card player', 'aria-labelledby': 'player-heading' },
        h('h2', { id: 'player-heading' }, 'Result'),
        frame,
        trackPicker,
        h(
          'p',
          { class: 'muted small' },
          `${metrics.durationSec.toFixed(1)} s · ${metrics.words} words · ${metrics.speakers} ${metrics.speakers === 1 ? 'speaker' : 'speakers'}`,
          metrics.wer
            ? ` · WER ${(['audio', 'visual', 'fused'] as const)
                .flatMap((k) => {
                  const value = metrics.wer?.[k];
                  return value === undefined ? [] : [`${k} ${(value * 100).toFixed(1)}%`];
                })
                .join(', ')}`
            : '',
        ),
      ),
      editor?.element ?? null,
      editor?.downloads ?? null,
    ),
    h(
      'div',
      { class: 'result-side' },
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'transcript-heading' },
        h('h2', { id: 'transcript-heading' }, 'Transcript'),
        h(
          'p',
          { class: 'legend small' },
          'Each word shows its confidence and where it came from: ',
          h('span', { class: 'word-source src-audio' }, 'heard'),
          ' ',
          h('span', { class: 'word-source src-visual' }, 'lip-read'),
          ' ',
          h('span', { class: 'word-source src-both' }, 'both'),
          '. Select a line to play from there.',
        ),
        transcriptArea,
      ),
      speakersArea,
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'modalities-heading' },
        h('h2', { id: 'modalities-heading' }, 'Inputs'),
        h(
          'ul',
          { class: 'modalities' },
          (Object.keys(MODALITY_LABELS) as Array<keyof typeof MODALITY_LABELS>).map((name) => {
            const modality = original.modalities[name];
            return h(
              'li',
              { class: `modality modality-${modality.status}` },
              h('strong', {}, MODALITY_LABELS[name]),
              h('span', { class: `badge stage-badge-${modality.status}` }, modality.status),
              modality.reason || modality.error
                ? h('p', { class: 'small' }, modality.reason ?? `${modality.error?.name}: ${modality.error?.message}`)
                : null,
            );
          }),
        ),
      ),
    ),
  );
}

function speakerChip(id: string, style: SpeakerStyle): HTMLElement {
  const chip = h('span', { class: 'speaker' }, style.label(id));
  chip.style.setProperty('--speaker-colour', style.colour(id));
  return chip;
}

/** Who speaks: each person, on screen (their face) or off, their voices and how sure the match is. */
/** Names a speaker from the keyboard: type the name, press Enter. */
function renameForm(
  speaker: ResultDocument['speakers'][number],
  editor: CaptionEditor,
  originalLabel: (id: string) => string,
): HTMLFormElement {
  const id = `name-${speaker.id}`;
  const input = h('input', {
    id,
    name: 'name',
    type: 'text',
    class: 'speaker-name',
    value: speaker.label,
    maxlength: '80',
    autocomplete: 'off',
    disabled: editor.readOnly,
  });
  const form = h(
    'form',
    { class: 'rename-form' },
    h('label', { for: id, class: 'visually-hidden' }, `Name of ${speaker.id}`),
    input,
    h('button', { type: 'submit', class: 'button small-button', disabled: editor.readOnly }, 'Rename'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void editor.rename({ id: speaker.id, label: originalLabel(speaker.id) }, input.value);
  });
  return form;
}

function speakersCard(
  result: ResultDocument,
  style: SpeakerStyle,
  editor: CaptionEditor | undefined,
  originalLabel: (id: string) => string,
): HTMLElement {
  const evidence = {
    'active-speaker': 'Faces were matched to the voices by who is seen speaking (LR-ASD).',
    'mouth-movement':
      'Faces were matched to the voices by mouth movement (active speaker detection was not available).',
    voices: 'Speakers come from the voices alone: no face was seen.',
  } as const;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'speakers-heading' },
    h('h2', { id: 'speakers-heading' }, 'Speakers'),
    result.speakers.length
      ? h(
          'ul',
          { class: 'speakers', 'aria-label': 'Speakers' },
          result.speakers.map((speaker) =>
            h(
              'li',
              { class: 'speaker-row' },
              speakerChip(speaker.id, style),
              h(
                'span',
                { class: 'small muted' },
                [
                  speaker.onScreen ? `on screen (${speaker.faceId ?? 'face'})` : 'off screen',
                  speaker.voices.length ? `voice ${speaker.voices.join(', ')}` : '',
                  `${speaker.speakingSec.toFixed(1)} s`,
                  speaker.meanSpeakingScore === undefined
                    ? ''
                    : `speaking score ${speaker.meanSpeakingScore.toFixed(2)}`,
                ]
                  .filter(Boolean)
                  .join(' · '),
              ),
              editor ? renameForm(speaker, editor, originalLabel) : null,
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'No one speaks.'),
    result.speakerEvidence ? h('p', { class: 'small muted' }, evidence[result.speakerEvidence]) : null,
  );
}

function transcriptLine(segment: Segment, video: HTMLVideoElement, style: SpeakerStyle): { element: HTMLLIElement } {
  const seek = () => {
    video.currentTime = segment.start;
    void video.play().catch(() => undefined);
  };
  const element = h(
    'li',
    { class: 'line' },
    h(
      'button',
      {
        type: 'button',
        class: 'line-seek',
        onclick: seek,
        'aria-label': `Play from ${formatTime(segment.start)}: ${style.label(segment.speaker)}: ${segment.text}`,
      },
      h('span', { class: 'line-time' }, formatTime(segment.start)),
      speakerChip(segment.speaker, style),
    ),
    h(
      'span',
      { class: 'words' },
      segment.words.map((word) => {
        const percent = Math.round(word.confidence * 100);
        if (word.edited) {
          return h(
            'span',
            { class: 'word edited', title: 'corrected by hand' },
            h('span', { class: 'word-text' }, word.text),
            h('span', { class: 'word-meta' }, 'edited'),
          );
        }
        return h(
          'span',
          { class: `word src-${word.source}`, title: `${SOURCE_TITLES[word.source]}, ${percent}% confident` },
          h('span', { class: 'word-text' }, word.text),
          h('span', { class: 'word-meta' }, `${percent}% ${SOURCE_LABELS[word.source]}`),
        );
      }),
      segment.words.length ? null : h('span', { class: 'word-text' }, segment.text),
    ),
  );
  return { element };
}

interface FaceMark {
  box: Box;
  label: string;
  colour: string;
  /** The face of someone speaking at this moment (fuse's attribution, from the speaking scores). */
  speaking: boolean;
}

/**
 * Face boxes to draw at `time`: every tracked face nearest in time, named by its speaker,
 * the speaking ones marked; without faces.json, the speaking segments' faces.
 */
function facesAt(
  time: number,
  result: ResultDocument,
  faces: FacesDocument | undefined,
  style: SpeakerStyle,
): FaceMark[] {
  const speakingNow = result.segments.filter((s) => s.face && time >= s.start && time < s.end);
  const speakingFaces = new Set(speakingNow.map((s) => s.face?.faceId));
  const mark = (faceId: string, box: Box): FaceMark => {
    const speaker = style.byFace.get(faceId);
    return {
      box,
      label: speaker ? speaker.label : 'face',
      colour: speaker ? style.colour(speaker.id) : UNKNOWN_COLOUR,
      speaking: speakingFaces.has(faceId),
    };
  };
  if (faces?.detections.length) {
    const window = Math.max(faces.frameIntervalSec, 0.2);
    const nearest = new Map<string, FacesDocument['detections'][number]>();
    for (const detection of faces.detections) {
      if (Math.abs(detection.time - time) > window) continue;
      const current = nearest.get(detection.trackId);
      if (!current || Math.abs(detection.time - time) < Math.abs(current.time - time))
        nearest.set(detection.trackId, detection);
    }
    if (nearest.size) return [...nearest.values()].map((d) => mark(d.trackId, d.box));
  }
  return speakingNow.flatMap((segment) => (segment.face ? [mark(segment.face.faceId, segment.face.box)] : []));
}
