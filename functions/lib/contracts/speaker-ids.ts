/** Speaker ids, without zod, so the web page can use them without bundling the schemas. */

/** A speaker id in result.json: S1, S2, … in order of first speech. */
export const SPEAKER_ID = /^S[1-9]\d*$/;
/** The speaker of a segment or word that no one could be attached to. */
export const UNKNOWN_SPEAKER = 'unknown';
/** How captions and the page name words no one could be attached to. */
export const UNKNOWN_SPEAKER_LABEL = 'Unknown speaker';
