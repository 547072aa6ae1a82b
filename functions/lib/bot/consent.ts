import { createHash } from 'node:crypto';
import { t } from './i18n';
import { LANGUAGES, type Language } from './model';

/** What the consent text promises; deployments set them (terraform/variables.tf, telegram_*). */
export interface ConsentTerms {
  /** The licence recordings are shared under, e.g. "CC BY 4.0". */
  licence: string;
  /** Recordings are deleted after this many years at the latest. */
  retentionYears: number;
  /** Who to write to about the data: an address or a Telegram handle. Empty: no contact line. */
  contact: string;
}

/** The full consent text: what is kept, who gets it, for how long, how to withdraw, whom to ask. */
export function consentText(language: Language, terms: ConsentTerms): string {
  const parts = [
    t(language, 'consentIntro'),
    t(language, 'consentWhat'),
    t(language, 'consentWho', { licence: terms.licence }),
    t(language, 'consentHowLong', { years: terms.retentionYears }),
    t(language, 'consentWithdraw'),
    ...(terms.contact.trim() ? [t(language, 'consentContact', { contact: terms.contact.trim() })] : []),
    t(language, 'consentQuestion'),
  ];
  return parts.join('\n\n');
}

/**
 * The version stored with every recording: a digest of the texts in every language, so any
 * change of wording or terms gives a new version without anyone remembering to bump it.
 */
export function consentVersion(terms: ConsentTerms): string {
  const digest = createHash('sha256');
  for (const language of LANGUAGES) digest.update(`${language}\n${consentText(language, terms)}\n`);
  return `consent-${digest.digest('hex').slice(0, 12)}`;
}
