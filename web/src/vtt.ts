/** Cues of a WebVTT file as the page adds them to a track; NOTE and other blocks without timing are skipped. */
export interface TimedCue {
  start: number;
  end: number;
  text: string;
}

const seconds = (stamp: string): number => {
  const parts = stamp.trim().split(':').map(Number);
  return parts.reduce((total, part) => total * 60 + part, 0);
};

export function webVttCues(text: string): TimedCue[] {
  const blocks = text
    .replace(/\r\n/g, '\n')
    .trim()
    .split(/\n{2,}/)
    .slice(1);
  return blocks.flatMap((block) => {
    const lines = block.split('\n');
    const timing = lines.findIndex((line) => line.includes('-->'));
    if (timing < 0) return [];
    const [start = '', rest = ''] = (lines[timing] ?? '').split('-->');
    const end = rest.trim().split(/\s+/)[0] ?? '';
    const cue = { start: seconds(start), end: seconds(end), text: lines.slice(timing + 1).join('\n') };
    return Number.isFinite(cue.start) && Number.isFinite(cue.end) ? [cue] : [];
  });
}

/** The cues the page put in each track: a disabled track lists none (its `cues` is null). */
const added = new WeakMap<TextTrack, VTTCue[]>();

/** Replaces a track's cues, whether it is showing or not. */
export function fillTrack(track: TextTrack, cues: readonly TimedCue[]): void {
  for (const cue of added.get(track) ?? []) track.removeCue(cue);
  const fresh = cues.map((cue) => new VTTCue(cue.start, cue.end, cue.text));
  for (const cue of fresh) track.addCue(cue);
  added.set(track, fresh);
}
