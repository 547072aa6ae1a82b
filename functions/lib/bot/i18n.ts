import type { Language } from './model';

/**
 * Everything the bot says, in Hebrew (the default) and English. Placeholders are {name};
 * a test keeps both tables to the same keys and placeholders.
 */
const en = {
  chooseLanguage: 'Hello! Choose your language / שלום! בחרו שפה:',
  languageSet: 'Language: English.',
  consent:
    'This bot collects short videos of people reading sentences aloud, to build an audio-visual speech dataset. ' +
    'Your videos, and the age range, gender and accent you give, are stored and may be shared with researchers. ' +
    'Your Telegram id is never shared: exports use a one-way code. You can stop at any time.\n\nDo you agree?',
  consentYes: 'I agree',
  consentNo: 'I do not agree',
  declined: 'Understood: nothing was stored. Send /start if you change your mind.',
  adult: 'Please confirm that you are 18 or older.',
  adultYes: 'I am 18 or older',
  adultNo: 'I am under 18',
  ineligible: 'Sorry, contributors must be 18 or older. Nothing was stored.',
  askGender: 'Your gender?',
  gender_female: 'Female',
  gender_male: 'Male',
  gender_other: 'Other',
  gender_undisclosed: 'Prefer not to say',
  askAgeRange: 'Your age range?',
  askAccent: 'Your accent? Pick one, or tap "Type my own" and write it.',
  accentTypeOwn: 'Type my own',
  accentAskText: 'Write your accent in a few words.',
  accentTooLong: 'Please keep it under {max} characters.',
  calibration:
    'First, a short calibration video (a few seconds), front camera, face in view: stick your tongue out, then smile. ' +
    'Send it as a video or a round video message.',
  calibrationStored: 'Calibration video received. Thank you!',
  prompt: 'Read this sentence aloud, on camera, with your face in view, and send the video:\n\n«{text}»',
  promptCustom: 'Record this text, on camera, and send the video:\n\n«{text}»',
  skip: 'Skip',
  report: 'Report',
  reportAsk: 'What is wrong with this sentence?',
  reason_typo: 'Spelling or grammar',
  reason_offensive: 'Offensive',
  reason_hard: 'Hard to read aloud',
  reason_other: 'Something else',
  reportThanks: 'Thank you, the sentence was reported.',
  stored: 'Got it, thank you! Recordings so far: {count}.',
  duplicate: 'This video was already received; it was not stored again.',
  noSentences: 'There are no more sentences for you right now. Thank you very much for your help!',
  capReached: 'You have reached {max} recordings, the most one person may contribute. Thank you very much!',
  tooLarge:
    'This video is {size}, and bots can only download files up to 20 MB. Record a shorter video (under {max} seconds) and send it again.',
  tooShort: 'This video is {duration} s long; it must be at least {min} s. Please record it again.',
  tooLong:
    'This video is {duration} s long; it must be at most {max} s. Please record just the sentence and send it again.',
  notVideoFile: 'This file is not a video. Send a video or a round video message.',
  wrongKindRecording:
    'I need a video of you reading the sentence: tap the paperclip or the camera and record a video, or hold the round video-message button.',
  useButtons: 'Please answer with the buttons above. Send /start to begin again.',
  needOnboarding: 'Before recording, please finish the short sign-up: send /start. Nothing was stored.',
  blocked: 'You cannot contribute recordings with this bot.',
  staleButton: 'This button is no longer active.',
  help:
    'I show you sentences; you record yourself reading each one and send the video. /lang switches the language. ' +
    '/start begins again.',
  adminOnly: 'This command is for administrators only.',
  vipOnly: 'This menu is for invited contributors only.',
  vipMenu: 'Capture settings: lighting {lighting}, location {location}. Choose what to change or record:',
  vipLighting: 'Lighting',
  vipLocation: 'Location',
  vipCalibration: 'Record calibration',
  vipCustom: 'Record custom text',
  vipCustomAsk: 'Send the text to record.',
  vipSet: 'Saved: {name} = {value}.',
  unset: 'not set',
  sentencesAdded: 'Added {added} sentences ({existing} already existed, {rejected} rejected).',
  sentencesUsage:
    'Usage: /sentences add he|en, followed by one sentence per line, or as the caption of a .txt file with one sentence per line.',
  blockUsage: 'Usage: /block <telegram user id>',
  blockedUser: 'User {user} is blocked.',
  clearConfirm:
    'Delete every recording, contributor and sentence marked as test data ({count} items)? This cannot be undone.',
  clearYes: 'Delete test data',
  clearNo: 'Cancel',
  cleared: 'Deleted {recordings} test recordings, {contributors} test contributors and {sentences} test sentences.',
  clearCancelled: 'Nothing was deleted.',
  exportCaption: '{count} recordings from {speakers} speakers (train {train}, dev {dev}, test {test}).',
  exportEmpty: 'There are no recordings to export yet.',
  failed: 'Something went wrong while handling your message. Please send it again in a minute.',
  quality_accepted: 'Your recording of «{prompt}» was checked and accepted. Thank you!',
  quality_no_face:
    'Your recording of «{prompt}» could not be used: no face was found. Keep your face in view and record it again.',
  quality_no_speech:
    'Your recording of «{prompt}» could not be used: no speech was heard. Speak clearly, close to the phone, and record it again.',
  quality_wrong_sentence:
    'Your recording of «{prompt}» could not be used: it does not match the sentence. Read exactly the text shown and record it again.',
  quality_failed: 'Your recording of «{prompt}» could not be processed ({reason}). Please record it again.',
  calibrationPrompt: 'calibration: tongue out, then a smile',
};

export type MessageKey = keyof typeof en;

const he: Record<MessageKey, string> = {
  chooseLanguage: 'שלום! בחרו שפה / Hello! Choose your language:',
  languageSet: 'שפה: עברית.',
  consent:
    'הבוט הזה אוסף סרטונים קצרים של אנשים שמקריאים משפטים בקול, כדי לבנות מאגר נתונים של דיבור (קול ותמונה). ' +
    'הסרטונים שלכם, וכן טווח הגיל, המגדר והמבטא שתמסרו, נשמרים ועשויים להיות משותפים עם חוקרים. ' +
    'מזהה הטלגרם שלכם לעולם אינו משותף: הייצוא משתמש בקוד חד־כיווני. אפשר להפסיק בכל עת.\n\nהאם אתם מסכימים?',
  consentYes: 'אני מסכים/ה',
  consentNo: 'אני לא מסכים/ה',
  declined: 'הבנתי: שום דבר לא נשמר. שלחו /start אם תשנו את דעתכם.',
  adult: 'אנא אשרו שאתם בני 18 ומעלה.',
  adultYes: 'אני בן/בת 18 ומעלה',
  adultNo: 'אני מתחת לגיל 18',
  ineligible: 'מצטערים, המשתתפים חייבים להיות בני 18 ומעלה. שום דבר לא נשמר.',
  askGender: 'מגדר?',
  gender_female: 'אישה',
  gender_male: 'גבר',
  gender_other: 'אחר',
  gender_undisclosed: 'מעדיף/ה לא לומר',
  askAgeRange: 'טווח גיל?',
  askAccent: 'מבטא? בחרו אחד, או הקישו "אכתוב בעצמי" וכתבו אותו.',
  accentTypeOwn: 'אכתוב בעצמי',
  accentAskText: 'כתבו את המבטא שלכם בכמה מילים.',
  accentTooLong: 'אנא כתבו פחות מ־{max} תווים.',
  calibration:
    'ראשית, סרטון כיול קצר (כמה שניות), במצלמה הקדמית, עם הפנים בתמונה: הוציאו לשון, ואז חייכו. ' +
    'שלחו אותו כסרטון או כהודעת וידאו עגולה.',
  calibrationStored: 'סרטון הכיול התקבל. תודה!',
  prompt: 'הקריאו את המשפט הזה בקול, מול המצלמה, עם הפנים בתמונה, ושלחו את הסרטון:\n\n«{text}»',
  promptCustom: 'הקליטו את הטקסט הזה מול המצלמה ושלחו את הסרטון:\n\n«{text}»',
  skip: 'דלג',
  report: 'דווח',
  reportAsk: 'מה הבעיה במשפט הזה?',
  reason_typo: 'שגיאת כתיב או דקדוק',
  reason_offensive: 'פוגעני',
  reason_hard: 'קשה להקראה',
  reason_other: 'משהו אחר',
  reportThanks: 'תודה, המשפט דווח.',
  stored: 'התקבל, תודה! מספר ההקלטות עד כה: {count}.',
  duplicate: 'הסרטון הזה כבר התקבל; הוא לא נשמר שוב.',
  noSentences: 'אין כרגע משפטים נוספים עבורכם. תודה רבה על העזרה!',
  capReached: 'הגעתם ל־{max} הקלטות, המספר המרבי לאדם אחד. תודה רבה!',
  tooLarge:
    'הסרטון הזה בגודל {size}, ובוטים יכולים להוריד קבצים של עד 20 MB בלבד. הקליטו סרטון קצר יותר (פחות מ־{max} שניות) ושלחו שוב.',
  tooShort: 'אורך הסרטון {duration} שניות; הוא צריך להיות לפחות {min} שניות. אנא הקליטו שוב.',
  tooLong: 'אורך הסרטון {duration} שניות; הוא יכול להיות לכל היותר {max} שניות. הקליטו רק את המשפט ושלחו שוב.',
  notVideoFile: 'הקובץ הזה אינו סרטון. שלחו סרטון או הודעת וידאו עגולה.',
  wrongKindRecording:
    'אני צריך סרטון שבו אתם מקריאים את המשפט: הקישו על האטב או על המצלמה והקליטו סרטון, או החזיקו את כפתור הודעת הווידאו העגולה.',
  useButtons: 'אנא ענו בעזרת הכפתורים שלמעלה. שלחו /start כדי להתחיל מחדש.',
  needOnboarding: 'לפני ההקלטה, אנא סיימו את ההרשמה הקצרה: שלחו /start. שום דבר לא נשמר.',
  blocked: 'אינכם יכולים לתרום הקלטות באמצעות הבוט הזה.',
  staleButton: 'הכפתור הזה כבר אינו פעיל.',
  help: 'אני מציג לכם משפטים; אתם מקליטים את עצמכם מקריאים כל משפט ושולחים את הסרטון. /lang מחליף שפה. /start מתחיל מחדש.',
  adminOnly: 'הפקודה הזאת מיועדת למנהלים בלבד.',
  vipOnly: 'התפריט הזה מיועד למשתתפים מוזמנים בלבד.',
  vipMenu: 'הגדרות צילום: תאורה {lighting}, מיקום {location}. בחרו מה לשנות או להקליט:',
  vipLighting: 'תאורה',
  vipLocation: 'מיקום',
  vipCalibration: 'הקלטת כיול',
  vipCustom: 'הקלטת טקסט משלי',
  vipCustomAsk: 'שלחו את הטקסט להקלטה.',
  vipSet: 'נשמר: {name} = {value}.',
  unset: 'לא הוגדר',
  sentencesAdded: 'נוספו {added} משפטים ({existing} כבר היו קיימים, {rejected} נדחו).',
  sentencesUsage:
    'שימוש: ‎/sentences add he|en ואחריו משפט אחד בכל שורה, או ככיתוב של קובץ ‎.txt עם משפט אחד בכל שורה.',
  blockUsage: 'שימוש: ‎/block <מזהה משתמש בטלגרם>',
  blockedUser: 'המשתמש {user} נחסם.',
  clearConfirm: 'למחוק את כל ההקלטות, המשתתפים והמשפטים שסומנו כנתוני בדיקה ({count} פריטים)? אי אפשר לבטל זאת.',
  clearYes: 'מחק נתוני בדיקה',
  clearNo: 'ביטול',
  cleared: 'נמחקו {recordings} הקלטות בדיקה, {contributors} משתתפי בדיקה ו־{sentences} משפטי בדיקה.',
  clearCancelled: 'שום דבר לא נמחק.',
  exportCaption: '{count} הקלטות מ־{speakers} דוברים (train {train}, dev {dev}, test {test}).',
  exportEmpty: 'אין עדיין הקלטות לייצוא.',
  failed: 'משהו השתבש בטיפול בהודעה שלכם. אנא שלחו אותה שוב בעוד דקה.',
  quality_accepted: 'ההקלטה שלכם של «{prompt}» נבדקה והתקבלה. תודה!',
  quality_no_face: 'לא ניתן היה להשתמש בהקלטה שלכם של «{prompt}»: לא נמצאו פנים. השאירו את הפנים בתמונה והקליטו שוב.',
  quality_no_speech:
    'לא ניתן היה להשתמש בהקלטה שלכם של «{prompt}»: לא נשמע דיבור. דברו בבירור, קרוב לטלפון, והקליטו שוב.',
  quality_wrong_sentence:
    'לא ניתן היה להשתמש בהקלטה שלכם של «{prompt}»: היא אינה תואמת את המשפט. הקריאו בדיוק את הטקסט המוצג והקליטו שוב.',
  quality_failed: 'לא ניתן היה לעבד את ההקלטה שלכם של «{prompt}» ({reason}). אנא הקליטו שוב.',
  calibrationPrompt: 'כיול: לשון בחוץ, ואז חיוך',
};

export const MESSAGES: Record<Language, Record<MessageKey, string>> = { en, he };

/** The message in `language`, with {placeholders} filled. */
export function t(language: Language, key: MessageKey, params: Record<string, string | number> = {}): string {
  return MESSAGES[language][key].replace(/\{(\w+)\}/g, (match, name: string) =>
    name in params ? String(params[name]) : match,
  );
}

/** Labels of option codes (gender_female, reason_typo...) fall back to the code itself. */
export function label(language: Language, prefix: string, code: string): string {
  const key = `${prefix}_${code}`;
  return key in MESSAGES[language] ? MESSAGES[language][key as MessageKey] : code;
}
