/**
 * The server's own speech detector, for jobs that arrive without speech segments (the
 * pipeline sends Silero VAD's): frame energy against the recording's own noise floor.
 * It only has to keep the model away from silence, so it errs towards speech.
 */
import type { TimeSpan } from './chunking';

export interface EnergySpeechSettings {
  /** Analysis frame and hop, seconds. */
  frameSeconds: number;
  hopSeconds: number;
  /** Speech is this many dB above the noise floor (the floorPercentile of frame levels)... */
  aboveFloorDb: number;
  floorPercentile: number;
  /** ...and at least this loud (dBFS), so digital silence and hiss never count. */
  minLevelDb: number;
  /** Bursts shorter than this are dropped; pauses shorter than this are bridged. */
  minSpeechSeconds: number;
  minSilenceSeconds: number;
}

export const ENERGY_SPEECH_SETTINGS: EnergySpeechSettings = {
  frameSeconds: 0.03,
  hopSeconds: 0.01,
  aboveFloorDb: 12,
  floorPercentile: 0.1,
  minLevelDb: -50,
  minSpeechSeconds: 0.15,
  minSilenceSeconds: 0.3,
};

/** Frame levels in dBFS from pushed int16 samples; `segments()` once all are in. */
export class EnergySpeechDetector {
  private readonly frameLength: number;
  private readonly hop: number;
  private readonly levels: number[] = [];
  private pending = new Float64Array(0);

  constructor(
    private readonly sampleRate: number,
    private readonly settings: EnergySpeechSettings = ENERGY_SPEECH_SETTINGS,
  ) {
    this.frameLength = Math.round(settings.frameSeconds * sampleRate);
    this.hop = Math.round(settings.hopSeconds * sampleRate);
  }

  push(samples: Int16Array): void {
    const joined = new Float64Array(this.pending.length + samples.length);
    joined.set(this.pending);
    for (let i = 0; i < samples.length; i++) joined[this.pending.length + i] = (samples[i] ?? 0) / 32768;
    let start = 0;
    for (; start + this.frameLength <= joined.length; start += this.hop) {
      let energy = 0;
      for (let i = start; i < start + this.frameLength; i++) energy += (joined[i] ?? 0) ** 2;
      this.levels.push(10 * Math.log10(energy / this.frameLength + 1e-12));
    }
    this.pending = joined.slice(start);
  }

  /** Sorted speech intervals in seconds; empty when nothing rises above the floor. */
  segments(): TimeSpan[] {
    const { levels, settings } = this;
    if (levels.length === 0) return [];
    const sorted = [...levels].sort((a, b) => a - b);
    const floor = sorted[Math.floor(settings.floorPercentile * (sorted.length - 1))] ?? -120;
    const threshold = Math.max(floor + settings.aboveFloorDb, settings.minLevelDb);
    const hopSeconds = this.hop / this.sampleRate;
    const spans: TimeSpan[] = [];
    levels.forEach((level, index) => {
      if (level < threshold) return;
      const start = index * hopSeconds;
      const end = start + this.frameLength / this.sampleRate;
      const last = spans.at(-1);
      if (last && start - last.end < settings.minSilenceSeconds) last.end = end;
      else spans.push({ start, end });
    });
    return spans
      .filter((span) => span.end - span.start >= settings.minSpeechSeconds)
      .map((span) => ({ start: round(span.start), end: round(span.end) }));
  }
}

const round = (seconds: number) => Math.round(seconds * 1000) / 1000;
