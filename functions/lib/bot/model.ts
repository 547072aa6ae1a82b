/** What the bot keeps in DynamoDB: contributors, sentences, recordings. */

export const DEFAULT_TELEGRAM_API_ROOT = 'https://api.telegram.org';

export const LANGUAGES = ['he', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'he';
export const isLanguage = (value: unknown): value is Language => LANGUAGES.includes(value as Language);

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

export const GENDERS = ['female', 'male', 'other', 'undisclosed'] as const;
export const AGE_RANGES = ['18-29', '30-44', '45-59', '60+'] as const;
export const ACCENT_PRESETS: Record<Language, readonly string[]> = {
  he: ['native-israeli', 'russian', 'arabic', 'english', 'french', 'amharic'],
  en: ['us', 'uk', 'australian', 'indian', 'israeli', 'other-native'],
};
export const REPORT_REASONS = ['typo', 'offensive', 'hard', 'other'] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];
export const LIGHTING_OPTIONS = ['daylight', 'indoor', 'dim'] as const;
export const LOCATION_OPTIONS = ['home', 'office', 'outdoors', 'vehicle'] as const;

export type RecordingKind = 'calibration' | 'sentence' | 'custom';

/** The prompt a contributor was last shown; its token makes older buttons stale. */
export interface Prompt {
  token: string;
  kind: RecordingKind;
  promptId: string;
  text: string;
  language: Language;
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
  prompt?: Prompt;
  /** Free text the next text message answers. */
  awaiting?: 'accent_text' | 'custom_text';
  /** Sentence ids recorded, skipped or reported: never offered again. */
  doneSentenceIds: string[];
  recordings: number;
  consentedAt?: string;
  blocked?: boolean;
  isTest?: boolean;
  /** Nonce of an admin's pending /clear_test_data confirmation. */
  pendingClear?: string;
  createdAt: string;
  updatedAt: string;
}

export interface Sentence {
  sentenceId: string;
  language: Language;
  text: string;
  recordings: number;
  skips: number;
  reports: number;
  active: boolean;
  source: string;
  isTest?: boolean;
  createdAt: string;
}

export type QualityVerdict = 'accepted' | 'no_face' | 'no_speech' | 'wrong_sentence' | 'failed';

/** What the pipeline found when it processed a contribution. */
export interface RecordingQuality {
  jobId: string;
  jobStatus: string;
  verdict: QualityVerdict;
  transcript?: string;
  wer?: number;
  faceRatio?: number;
  reason?: string;
  checkedAt: string;
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
  bucket: string;
  key: string;
  mediaType: 'video' | 'video_note' | 'document';
  mimeType: string;
  durationSec?: number;
  width?: number;
  height?: number;
  fileSize?: number;
  fileUniqueId: string;
  demographics: Demographics;
  capture: CaptureConditions;
  isTest?: boolean;
  createdAt: string;
  storedAt?: string;
  quality?: RecordingQuality;
}
