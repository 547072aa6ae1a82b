/** What the bot keeps in DynamoDB: contributors, sentences, recordings. */

export const DEFAULT_TELEGRAM_API_ROOT = 'https://api.telegram.org';

export const LANGUAGES = ['he', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'he';
export const isLanguage = (value: unknown): value is Language => LANGUAGES.includes(value as Language);

/** The Amazon Transcribe language each prompt language is transcribed in. */
export const TRANSCRIBE_LANGUAGE: Record<Language, string> = { he: 'he-IL', en: 'en-US' };

/** Where a contributor is in the conversation. */
export type Step =
  | 'language'
  | 'consent'
  | 'adult'
  | 'gender'
  | 'age_range'
  | 'accent'
  | 'calibration'
  | 'recording'
  | 'declined'
  | 'ineligible'
  | 'finished';

/** Steps after consent and the age check: only these may store a recording. */
export const CONSENTED_STEPS: readonly Step[] = ['calibration', 'recording', 'finished'];

/** 'undisclosed' is "prefer not to say" in every question that has a choice. */
export const UNDISCLOSED = 'undisclosed';
export const GENDERS = ['female', 'male', 'other', UNDISCLOSED] as const;
export const AGE_RANGES = ['18-29', '30-44', '45-59', '60+', UNDISCLOSED] as const;
export const ACCENT_PRESETS: Record<Language, readonly string[]> = {
  he: ['native-israeli', 'russian', 'arabic', 'english', 'french', 'amharic'],
  en: ['us', 'uk', 'australian', 'indian', 'israeli', 'other-native'],
};
export const REPORT_REASONS = ['typo', 'offensive', 'hard', 'other'] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];
export const LIGHTING_OPTIONS = ['daylight', 'indoor', 'dim'] as const;
export const LOCATION_OPTIONS = ['home', 'office', 'outdoors', 'vehicle'] as const;

export type RecordingKind = 'calibration' | 'sentence' | 'custom';

/** The prompt a contributor was shown; its token makes older buttons stale. */
export interface Prompt {
  token: string;
  kind: RecordingKind;
  promptId: string;
  text: string;
  language: Language;
  /** When the bot showed it (ISO): a video sent before then was not recorded for it. */
  shownAt?: string;
  /** When it left the screen (answered, skipped) with nothing shown after it yet. */
  endedAt?: string;
}

export interface Demographics {
  gender?: string;
  ageRange?: string;
  accent?: string;
}

/** VIP-set capture conditions, copied onto each recording. */
export interface CaptureConditions {
  lighting?: string;
  location?: string;
}

export interface Contributor {
  userId: string;
  chatId: number;
  language: Language;
  step: Step;
  contributorHash: string;
  demographics: Demographics;
  capture: CaptureConditions;
  /** The prompt on screen now. */
  prompt?: Prompt;
  /** The few prompts shown before it, newest first: a video sent while one of them was on screen is filed under it. */
  earlierPrompts?: Prompt[];
  /** Free text the next text message answers. */
  awaiting?: 'accent_text' | 'custom_text';
  /** Sentence ids recorded, skipped or reported: never offered again. */
  doneSentenceIds: string[];
  /** Takes stored so far (the cap counts those not rejected, from the recordings table). */
  recordings: number;
  consentedAt?: string;
  /** The version of the consent text agreed to (consent.ts). */
  consentVersion?: string;
  blocked?: boolean;
  isTest?: boolean;
  /** Nonce of a pending confirmation: an admin's /clear_test_data or a contributor's /delete. */
  pendingClear?: string;
  pendingDelete?: string;
  createdAt: string;
  updatedAt: string;
}

export interface Sentence {
  sentenceId: string;
  language: Language;
  text: string;
  /** Stored takes not rejected by the quality check (the size of `recordedBy`). */
  recordings: number;
  skips: number;
  reports: number;
  active: boolean;
  /** Why a sentence stopped being offered, e.g. 'reported'. */
  retiredReason?: string;
  source: string;
  isTest?: boolean;
  createdAt: string;
}

/** Verdicts that mean "record it again": the take counts toward neither coverage nor the cap. */
export const REJECTED_VERDICTS = [
  'no_face',
  'face_too_small',
  'too_dark',
  'no_speech',
  'several_speakers',
  'face_not_speaking',
  'incomplete',
  'wrong_sentence',
  'too_short',
  'too_long',
  'unreadable',
  'failed',
] as const;
export type RejectedVerdict = (typeof REJECTED_VERDICTS)[number];

/**
 * accepted: every check ran and passed. unverified: nothing failed, but some check could
 * not run here (say, no speech-to-text for the language); the message names which.
 */
export type QualityVerdict = 'accepted' | 'unverified' | RejectedVerdict;
export const isRejected = (verdict: QualityVerdict | undefined): boolean =>
  verdict !== undefined && (REJECTED_VERDICTS as readonly string[]).includes(verdict);

export const QUALITY_CHECKS = [
  'face',
  'face_size',
  'lighting',
  'speech',
  'one_speaker',
  'face_speaking',
  'sentence',
] as const;
export type QualityCheck = (typeof QUALITY_CHECKS)[number];

export interface CheckOutcome {
  check: QualityCheck;
  outcome: 'passed' | 'failed' | 'not_run';
  /** What was measured, in words for the maintainer (never sent to the contributor). */
  detail?: string;
}

/** What the pipeline found when it processed a contribution. */
export interface RecordingQuality {
  jobId: string;
  jobStatus: string;
  verdict: QualityVerdict;
  checks?: CheckOutcome[];
  transcript?: string;
  wer?: number;
  faceRatio?: number;
  /** For maintainers: the pipeline's own words when it failed. Never sent to the contributor. */
  reason?: string;
  checkedAt: string;
  notifiedAt?: string;
}

export interface Recording {
  recordingId: string;
  status: 'uploading' | 'stored';
  userId: string;
  chatId: number;
  contributorHash: string;
  language: Language;
  kind: RecordingKind;
  promptId: string;
  promptText: string;
  /** The token of the prompt this take answers. */
  promptToken?: string;
  bucket: string;
  key: string;
  /** The pipeline job the upload starts (start-pipeline's id for this object version). */
  jobId?: string;
  mediaType: 'video' | 'video_note' | 'document';
  mimeType: string;
  /** What Telegram's client declared; the pipeline measures the file itself. */
  durationSec?: number;
  width?: number;
  height?: number;
  fileSize?: number;
  fileUniqueId: string;
  demographics: Demographics;
  capture: CaptureConditions;
  consentVersion?: string;
  isTest?: boolean;
  createdAt: string;
  storedAt?: string;
  quality?: RecordingQuality;
}
