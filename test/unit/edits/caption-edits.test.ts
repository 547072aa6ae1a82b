import {
  applyDraft,
  draftOfResult,
  mergeWithNext,
  moveSegment,
  renameSpeaker,
  setSegmentText,
  setWordText,
  splitSegment,
} from '../../../functions/lib/edits/caption-draft';
import {
  InvalidEditError,
  StaleEditError,
  editedResult,
  restoreVersion,
  saveEdits,
} from '../../../functions/lib/edits/caption-edits';
import { exportCaptions } from '../../../functions/lib/edits/export-captions';
import { DEFAULT_LAYOUT } from '../../../functions/lib/fuse/cues';
import { transcribeJson } from '../fuse/builders';
import { JOB_ID, MemoryEditsStore, MemoryJobFiles, twoPersonResult } from './builders';

const clock = { now: () => new Date('2026-12-05T17:00:00.000Z') };

describe('the caption draft', () => {
  const result = twoPersonResult();
  const original = draftOfResult(result);
  const [question, answer] = original.segments;

  it('corrects one word and keeps every time', () => {
    // Act
    const edited = setWordText(question!, 2, 'ready')!;

    // Assess
    expect(edited.words.map((word) => word.text)).toEqual(['are', 'you', 'ready', 'now']);
    expect(edited.words[2]).toEqual(expect.objectContaining({ start: 0.95, end: 1.3, edited: true, confidence: 1 }));
    expect(edited.words[0]).toBe(question!.words[0]);
  });

  it('rewrites a caption: the same number of words keep their times, another number is spread by length', () => {
    // Act
    const sameCount = setSegmentText(question!, 'are you ready now')!;
    const longer = setSegmentText(answer!, 'yes I certainly am')!;
    const emptied = setSegmentText(answer!, '   ');

    // Assess
    expect(sameCount.words.map((word) => [word.text, word.start, Boolean(word.edited)])).toEqual([
      ['are', 0.5, false],
      ['you', 0.75, false],
      ['ready', 0.95, true],
      ['now', 1.35, false],
    ]);
    expect(longer.words.map((word) => word.text)).toEqual(['yes', 'I', 'certainly', 'am']);
    expect(longer.words[0]!.start).toBe(answer!.start);
    expect(longer.words.at(-1)!.end).toBe(answer!.end);
    const lengths = longer.words.map((word) => word.end - word.start);
    expect(lengths[2]).toBeGreaterThan(lengths[1]!);
    expect(emptied).toBeUndefined();
  });

  it('splits a caption at a word and merges it back', () => {
    // Act
    const split = splitSegment(original.segments, 0, 2);
    const merged = mergeWithNext(split, 0);

    // Assess
    expect(split.map((segment) => [segment.start, segment.end, segment.words.map((w) => w.text).join(' ')])).toEqual([
      [0.5, 0.9, 'are you'],
      [0.95, 1.6, 'reddy now'],
      [2.0, 2.9, 'yes I am'],
    ]);
    expect(merged[0]).toEqual(question);
  });

  it('moves a caption start and end, the words following and never past each other or the media', () => {
    // Act
    const earlier = moveSegment(question!, { start: 0.2, end: 1.2 }, 4);
    const crossed = moveSegment(question!, { start: 3 }, 4);
    const pastTheEnd = moveSegment(answer!, { end: 99 }, 4);

    // Assess
    expect(earlier.words.map((word) => [word.start, word.end])).toEqual([
      [0.2, 0.7],
      [0.75, 0.9],
      [0.95, 1.2],
      [1.2, 1.2],
    ]);
    expect(crossed.start).toBeCloseTo(1.55, 3);
    expect(pastTheEnd.end).toBe(4);
  });

  it('names a speaker everywhere: labels, and back to the default when the name is cleared', () => {
    // Act
    const named = renameSpeaker(original, result.speakers[0]!, '  Dana Cohen ');
    const applied = applyDraft(result, named, { version: 1, savedAt: '2026-12-05T17:00:00.000Z' });
    const cleared = renameSpeaker(named, result.speakers[0]!, '');

    // Assess
    expect(applied.speakers.map((speaker) => speaker.label)).toEqual(['Dana Cohen', 'Speaker 2']);
    expect(applied.edits).toEqual({ version: 1, savedAt: '2026-12-05T17:00:00.000Z' });
    expect(applied.segments[0]).toEqual(expect.objectContaining({ face: result.segments[0]!.face, voice: 'spk_0' }));
    expect(cleared.speakers).toEqual([]);
  });
});

describe('saving versions', () => {
  it('saves on the latest version, and refuses a save made on an older one with a message saying so', async () => {
    // Prepare
    const result = twoPersonResult();
    const store = new MemoryEditsStore();
    const draft = renameSpeaker(draftOfResult(result), result.speakers[0]!, 'Dana Cohen');

    // Act
    const first = await saveEdits(result, { basedOn: 0, ...draft }, 'user-a', { store, clock });
    const stale = saveEdits(result, { basedOn: 0, ...draft }, 'user-b', { store, clock });

    // Assess
    expect(first).toEqual(
      expect.objectContaining({ number: 1, basedOn: 0, savedBy: 'user-a', savedAt: '2026-12-05T17:00:00.000Z' }),
    );
    expect(first.summary).toMatch(/S1 "Dana Cohen"/);
    await expect(stale).rejects.toThrow(StaleEditError);
    await expect(stale).rejects.toThrow(
      'Not saved: you were editing version 0, but version 1 has been saved since (in another tab, or by someone else). Reload',
    );
    expect(store.documents.size).toBe(1);
  });

  it('loses no update when two tabs save at the same moment: the store decides, the second is refused', async () => {
    // Prepare: the other tab writes version 1 after this save looked, before it writes
    const result = twoPersonResult();
    const store = new MemoryEditsStore();
    const original = draftOfResult(result);
    store.beforeCreate = async () => {
      await saveEdits(result, { basedOn: 0, ...renameSpeaker(original, result.speakers[1]!, 'Other tab') }, 'b', {
        store,
        clock,
      });
    };

    // Act
    const racing = saveEdits(result, { basedOn: 0, ...renameSpeaker(original, result.speakers[0]!, 'Mine') }, 'a', {
      store,
      clock,
    });

    // Assess
    await expect(racing).rejects.toThrow(StaleEditError);
    expect(store.documents.get(1)?.speakers).toEqual([{ id: 'S2', name: 'Other tab' }]);
  });

  it('restores an earlier version as a new one, keeping every version', async () => {
    // Prepare
    const result = twoPersonResult();
    const store = new MemoryEditsStore();
    const original = draftOfResult(result);
    await saveEdits(result, { basedOn: 0, ...renameSpeaker(original, result.speakers[0]!, 'One') }, 'a', {
      store,
      clock,
    });
    await saveEdits(result, { basedOn: 1, ...renameSpeaker(original, result.speakers[0]!, 'Two') }, 'a', {
      store,
      clock,
    });

    // Act
    const restored = await restoreVersion(result, 0, 2, 'a', { store, clock });
    const latest = await editedResult(result, store);

    // Assess
    expect(restored).toEqual(expect.objectContaining({ number: 3, basedOn: 2, restoredFrom: 0, speakers: [] }));
    expect(latest.version).toBe(3);
    expect(latest.result.speakers[0]!.label).toBe('Speaker 1');
    expect([...store.documents.keys()]).toEqual([1, 2, 3]);
  });

  it('refuses edits naming a speaker the result does not have, or a caption past the end', async () => {
    // Prepare
    const result = twoPersonResult();
    const store = new MemoryEditsStore();
    const original = draftOfResult(result);
    const moved = {
      ...original.segments[1]!,
      start: 9,
      end: 9.5,
      words: [{ ...original.segments[1]!.words[0]!, start: 9, end: 9.5 }],
    };

    // Act
    const save = saveEdits(
      result,
      { basedOn: 0, speakers: [{ id: 'S7', name: 'Nobody' }], segments: [original.segments[0]!, moved] },
      'a',
      { store, clock },
    );

    // Assess
    await expect(save).rejects.toThrow(InvalidEditError);
    await expect(save).rejects.toThrow(/there is no speaker S7 to name; caption 2: ends at 9\.5 s, after the media/);
  });
});

describe('exporting captions', () => {
  it('writes the latest version, says which, and follows the layout rules given', async () => {
    // Prepare
    const result = twoPersonResult();
    const store = new MemoryEditsStore();
    const draft = renameSpeaker(draftOfResult(result), result.speakers[0]!, 'Dana Cohen');
    draft.segments[0] = setWordText(draft.segments[0]!, 2, 'ready')!;
    await saveEdits(result, { basedOn: 0, ...draft }, 'a', { store, clock });
    const files = new MemoryJobFiles({ 'result.json': JSON.stringify(result) });

    // Act
    const vtt = await exportCaptions(
      JOB_ID,
      { format: 'vtt', track: 'fused', rules: DEFAULT_LAYOUT },
      { files, edits: store },
    );
    const srt = await exportCaptions(
      JOB_ID,
      { format: 'srt', track: 'fused', rules: DEFAULT_LAYOUT },
      { files, edits: store },
    );
    const original = await exportCaptions(
      JOB_ID,
      { format: 'srt', track: 'fused', rules: DEFAULT_LAYOUT, version: 0 },
      { files, edits: store },
    );
    const narrow = await exportCaptions(
      JOB_ID,
      { format: 'srt', track: 'fused', rules: { ...DEFAULT_LAYOUT, maxLineChars: 24, maxLines: 1 } },
      { files, edits: store },
    );
    const json = await exportCaptions(
      JOB_ID,
      { format: 'json', track: 'fused', rules: DEFAULT_LAYOUT },
      { files, edits: store },
    );

    // Assess
    expect(vtt.version).toBe(1);
    expect(vtt.fileName).toBe('interview_1_.captions.v1.vtt');
    expect(vtt.body).toContain(`NOTE Gorggle job ${JOB_ID}, edited captions version 1`);
    expect(vtt.body).toContain('<v Dana Cohen>Dana Cohen: are you ready now');
    expect(srt.body).toContain('Dana Cohen: are you ready now');
    expect(original.fileName).toBe('interview_1_.captions.original.srt');
    expect(original.body).toContain('Speaker 1: are you reddy now');
    expect(narrow.body.split('\n').filter((line) => /^[a-zA-Z]/.test(line))).toEqual([
      'Dana Cohen: are you',
      'ready now',
      'Speaker 2: yes I am',
    ]);
    const exported = JSON.parse(json.body);
    expect(exported.edits).toEqual({ version: 1, savedAt: '2026-12-05T17:00:00.000Z' });
    expect(exported.speakers[0].label).toBe('Dana Cohen');
    expect(exported.segments[0].words[2]).toEqual(expect.objectContaining({ text: 'ready', edited: true }));
  });

  it("names each modality's track after the speakers, from that modality's own words", async () => {
    // Prepare
    const result = twoPersonResult();
    const store = new MemoryEditsStore();
    await saveEdits(result, { basedOn: 0, ...renameSpeaker(draftOfResult(result), result.speakers[1]!, 'Ana') }, 'a', {
      store,
      clock,
    });
    const files = new MemoryJobFiles({
      'result.json': JSON.stringify(result),
      'transcribe.json': transcribeJson([
        ['are', 0.5, 0.7, 0.9],
        ['you', 0.75, 0.9, 0.9],
        ['reddy', 0.95, 1.3, 0.9],
        ['now', 1.35, 1.6, 0.9],
        ['yes', 2.0, 2.3, 0.9, 'spk_1'],
        ['I', 2.35, 2.45, 0.9, 'spk_1'],
        ['am', 2.5, 2.9, 0.9, 'spk_1'],
      ]),
    });

    // Act
    const audio = await exportCaptions(
      JOB_ID,
      { format: 'vtt', track: 'audio', rules: DEFAULT_LAYOUT },
      { files, edits: store },
    );
    const visual = exportCaptions(
      JOB_ID,
      { format: 'vtt', track: 'visual', rules: DEFAULT_LAYOUT },
      { files, edits: store },
    );

    // Assess
    expect(audio.fileName).toBe('interview_1_.speech-only.v1.vtt');
    expect(audio.body).toContain('<v Speaker 1>Speaker 1: are you reddy now');
    expect(audio.body).toContain('<v Ana>Ana: yes I am');
    await expect(visual).rejects.toThrow(
      /has no lip-reading track: lipreading skipped \(no lip-reading model configured \(set GORGGLE_MODEL_DIR\)\)/,
    );
  });
});
