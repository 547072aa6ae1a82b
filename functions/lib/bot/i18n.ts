import type { Language } from './model';

/**
 * Everything the bot says, in Hebrew (the default) and English: messages and button labels
 * alike. Placeholders are {name}; a test keeps both tables to the same keys and placeholders.
 * Hebrew addresses the contributor in the plural imperative (שלחו, הקליטו), which reads as
 * gender-neutral; answers given in the first person show both forms (מסכים/ה).
 */
const en = {
  chooseLanguage: 'Hello! Choose your language / שלום! בחרו שפה:',
  languageSet: 'Language: English.',
  consentIntro:
    'Gorggle collects short videos of people reading sentences aloud, to build an open audio-visual speech dataset for research on lip reading and speech recognition.',
  consentWhat:
    'What is kept: your videos, which show your face and carry your voice, so you can be recognised in them; and the gender, age range and accent you choose to give (each question has "prefer not to say").',
  consentWho:
    'Who gets it: the videos and answers are shared with researchers under the {licence} licence. Your Telegram name and id are never shared: the dataset uses a one-way code instead.',
  consentHowLong: 'How long: until you delete them, and at most {years} years.',
  consentWithdraw:
    'Withdrawing: send /delete at any time to remove all your recordings and answers; later exports of the dataset no longer contain them (copies researchers downloaded before cannot be recalled). /mine lists what you have sent.',
  consentContact: 'Contact: {contact}.',
  consentQuestion: 'Do you agree?',
  consentYes: 'I agree',
  consentNo: 'I do not agree',
  declined: 'Understood. Nothing about you was kept. Send /start if you change your mind.',
  adult: 'Please confirm that you are 18 or older.',
  adultYes: 'I am 18 or older',
  adultNo: 'I am under 18',
  ineligible: 'Sorry, contributors must be 18 or older. Nothing about you was kept.',
  askGender: 'Your gender?',
  gender_female: 'Female',
  gender_male: 'Male',
  gender_other: 'Other',
  gender_undisclosed: 'Prefer not to say',
  askAgeRange: 'Your age range?',
  age_undisclosed: 'Prefer not to say',
  askAccent: 'Your accent? Pick one, or tap "Type my own" and write it.',
  'accent_native-israeli': 'Israeli (native Hebrew)',
  accent_russian: 'Russian',
  accent_arabic: 'Arabic',
  accent_english: 'English',
  accent_french: 'French',
  accent_amharic: 'Amharic',
  accent_us: 'American',
  accent_uk: 'British',
  accent_australian: 'Australian',
  accent_indian: 'Indian',
  accent_israeli: 'Israeli',
  'accent_other-native': 'Another native English accent',
  accent_undisclosed: 'Prefer not to say',
  accentTypeOwn: 'Type my own',
  accentAskText: 'Write your accent in a few words.',
  accentTooLong: 'Please keep it under {max} characters.',
  calibration:
    'First, a short calibration video (a few seconds), front camera, face in view: stick your tongue out, then smile. No need to speak. ' +
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
  storedEarlier:
    'Got it, thank you! This video was sent while «{text}» was on screen, so it is filed under that sentence. Recordings so far: {count}.',
  duplicate: 'This video was already received and stored.',
  sentBeforePrompt:
    'This video was sent before the sentence on screen now was shown, so it is not a reading of it and was not stored. Please read the sentence and send a new video.',
  noSentences: 'There are no more sentences for you right now. Thank you very much for your help!',
  capReached: 'You have reached {max} recordings, the most one person may contribute. Thank you very much!',
  tooLarge:
    'This video is larger than 20 MB, the most a bot can download. Record a shorter video (under {max}) and send it again.',
  tooShort: 'This video is {duration} long; it must be at least {min}. Please record it again.',
  tooLong: 'This video is {duration} long; it can be at most {max}. Please record just the sentence and send it again.',
  notVideoFile: 'This file is not a video. Send a video or a round video message.',
  gifRefused: 'GIFs have no sound and cannot be used. Please record a video with the camera and send it.',
  forwardedRefused:
    'Forwarded videos cannot be used: every recording must be of you, recorded by you, with your consent. Please record the sentence yourself.',
  wrongKindRecording:
    'I need a video of you reading the sentence: tap the paperclip or the camera and record a video, or hold the round video-message button.',
  answerWithButtons: 'Please answer with the buttons of this question:',
  needOnboarding: 'Before recording, please finish the short sign-up: send /start. Nothing was stored.',
  blocked: 'You cannot contribute recordings with this bot.',
  staleButton: 'This button is no longer active.',
  help:
    'I show you sentences; you record yourself reading each one and send the video. /lang switches the language, ' +
    '/mine lists your recordings, /delete removes all of them, /start begins again.',
  adminOnly: 'This command is for administrators only.',
  vipOnly: 'This menu is for invited contributors only.',
  vipMenu: 'Capture settings: lighting {lighting}, location {location}. Choose what to change or record:',
  vipLighting: 'Lighting',
  vipLocation: 'Location',
  lighting_daylight: 'Daylight',
  lighting_indoor: 'Indoor light',
  lighting_dim: 'Dim light',
  location_home: 'Home',
  location_office: 'Office',
  location_outdoors: 'Outdoors',
  location_vehicle: 'In a vehicle',
  vipCalibration: 'Record calibration',
  vipCustom: 'Record custom text',
  vipCustomAsk: 'Send the text to record (at most {max} characters).',
  customTooLong: 'The text can be at most {max} characters; this one has {length}. Please send a shorter text.',
  vipSet: 'Saved: {name} = {value}.',
  unset: 'not set',
  sentencesAdded: 'Added {added} sentences ({existing} already existed, {rejected} rejected).',
  sentencesUsage:
    'Usage: /sentences add he|en, followed by one sentence per line, or as the caption of a .txt file with one sentence per line.',
  blockUsage: 'Usage: /block <telegram user id>',
  blockedUser: 'User {user} is blocked; their recordings are left out of exports.',
  unblockUsage: 'Usage: /unblock <telegram user id>',
  unblockedUser: 'User {user} is unblocked.',
  notBlocked: 'User {user} is not blocked.',
  statsContributors: 'Contributors: {count} ({consented} consented, {blocked} blocked)',
  statsRecordings: 'Recordings: {count} ({calibration} calibration), {minutes} minutes',
  statsQuality: 'Quality: {verdicts}',
  statsSentences:
    'Sentences {language}: {active} offered ({retired} retired), recorded at least once {recorded}, fewest {fewest}, most {most} recordings; {reports} reports, {skips} skips',
  none: 'none yet',
  clearConfirm:
    'Delete every recording, contributor and sentence marked as test data ({count} items)? This cannot be undone.',
  clearYes: 'Delete test data',
  clearNo: 'Cancel',
  cleared: 'Deleted {recordings} test recordings, {contributors} test contributors and {sentences} test sentences.',
  clearCancelled: 'Nothing was deleted.',
  exportCaption:
    '{count} recordings from {speakers} speakers (train {train}, dev {dev}, test {test}); left out: {belowVerdict} below the minimum verdict, {blocked} from blocked users, {heldOut} to keep the test sentences apart.',
  exportEmpty: 'There are no recordings to export yet.',
  mineEmpty: 'You have no recordings stored.',
  mineHeader: 'Your recordings ({count}):',
  mineLine: '{index}. «{prompt}»: {verdict}',
  mineMore: '…and {count} earlier ones.',
  deleteNothing: 'Nothing of yours is stored except this conversation state, which is now deleted.',
  deleteConfirm:
    'This deletes all your recordings ({count}), what the pipeline made of them, and your answers, from storage and from every later dataset export. Copies researchers downloaded before cannot be recalled. Delete everything?',
  deleteYes: 'Delete everything',
  deleteNo: 'Keep my recordings',
  deleted: 'Done: {count} recordings and your answers were deleted. Send /start if you want to take part again.',
  deleteCancelled: 'Nothing was deleted.',
  failed: 'Something went wrong while handling your message. Please send it again in a minute.',
  recordAgain: 'Record it again',
  quality_accepted: 'Your recording of «{prompt}» was checked and accepted. Thank you!',
  quality_unverified:
    'Your recording of «{prompt}» was received. Checked and fine: {passed}. Could not be checked here: {notRun}.',
  quality_no_face:
    'Your recording of «{prompt}» could not be used: no face was found. Keep your whole face in view and record it again.',
  quality_face_too_small:
    'Your recording of «{prompt}» could not be used: your face is too small in the picture. Hold the phone closer, so your face fills a good part of the screen, and record it again.',
  quality_too_dark:
    'Your recording of «{prompt}» could not be used: your face is too dark. Face a window or a lamp and record it again.',
  quality_no_speech:
    'Your recording of «{prompt}» could not be used: no speech was heard. Read the sentence aloud, close to the phone, and record it again.',
  quality_several_speakers:
    'Your recording of «{prompt}» could not be used: more than one person speaks in it. Record it with only you speaking.',
  quality_face_not_speaking:
    'Your recording of «{prompt}» could not be used: the voice does not match the face on screen. Record yourself reading, in your own voice, with your face in view.',
  quality_incomplete:
    'Your recording of «{prompt}» could not be used: the sentence was cut off. Start recording before you speak, stop after the last word, and record it again.',
  quality_wrong_sentence:
    'Your recording of «{prompt}» could not be used: it does not match the sentence. Read exactly the text shown and record it again.',
  quality_too_short:
    'Your recording of «{prompt}» could not be used: it is shorter than {limit}. Please record it again.',
  quality_too_long:
    'Your recording of «{prompt}» could not be used: it is longer than {limit}. Record just the sentence and send it again.',
  quality_unreadable:
    'Your recording of «{prompt}» could not be used: the video file could not be read. Record it with the Telegram camera and send it as a video.',
  quality_failed:
    'Your recording of «{prompt}» could not be checked because of a problem on our side. Please record it again later.',
  verdict_pending: 'being checked',
  verdict_accepted: 'accepted',
  verdict_unverified: 'received, partly checked',
  verdict_no_face: 'no face found',
  verdict_face_too_small: 'face too small',
  verdict_too_dark: 'too dark',
  verdict_no_speech: 'no speech heard',
  verdict_several_speakers: 'more than one speaker',
  verdict_face_not_speaking: 'voice does not match the face',
  verdict_incomplete: 'sentence cut off',
  verdict_wrong_sentence: 'does not match the sentence',
  verdict_too_short: 'too short',
  verdict_too_long: 'too long',
  verdict_unreadable: 'file could not be read',
  verdict_failed: 'could not be checked',
  check_face: 'your face in view',
  check_face_size: 'your face large enough',
  check_lighting: 'enough light on your face',
  check_speech: 'speech heard',
  check_one_speaker: 'only one person speaking',
  check_face_speaking: 'the voice matching your lips',
  check_sentence: 'the whole sentence read',
  listSeparator: ', ',
  calibrationPrompt: 'calibration: tongue out, then a smile',
};

export type MessageKey = keyof typeof en;

const he: Record<MessageKey, string> = {
  chooseLanguage: 'שלום! בחרו שפה / Hello! Choose your language:',
  languageSet: 'שפה: עברית.',
  consentIntro:
    'Gorggle אוסף סרטונים קצרים של אנשים שקוראים משפטים בקול, כדי לבנות מאגר נתונים פתוח של דיבור בקול ובתמונה, למחקר על קריאת שפתיים וזיהוי דיבור.',
  consentWhat:
    'מה נשמר: הסרטונים שלכם, שבהם רואים את הפנים ושומעים את הקול, כך שאפשר לזהות אתכם בהם; וכן המגדר, טווח הגיל והמבטא, אם תבחרו למסור אותם (בכל שאלה יש "מעדיף/ה לא לומר").',
  consentWho:
    'מי מקבל אותם: הסרטונים והתשובות משותפים עם חוקרים ברישיון {licence}. השם ומזהה הטלגרם שלכם לעולם אינם משותפים: במאגר מופיע במקומם קוד חד־כיווני.',
  consentHowLong: 'לכמה זמן: עד שתמחקו אותם, ולכל היותר {years} שנים.',
  consentWithdraw:
    'ביטול ההסכמה: שלחו ‎/delete בכל עת כדי למחוק את כל ההקלטות והתשובות שלכם; הייצואים הבאים של המאגר כבר לא יכילו אותן (עותקים שחוקרים הורידו קודם לכן אי אפשר להחזיר). ‎/mine מציג את מה ששלחתם.',
  consentContact: 'יצירת קשר: {contact}.',
  consentQuestion: 'האם אתם מסכימים?',
  consentYes: 'אני מסכים/ה',
  consentNo: 'אני לא מסכים/ה',
  declined: 'הבנו. לא נשמר עליכם דבר. שלחו ‎/start אם תשנו את דעתכם.',
  adult: 'אנא אשרו שאתם בני 18 ומעלה.',
  adultYes: 'אני בן/בת 18 ומעלה',
  adultNo: 'אני מתחת לגיל 18',
  ineligible: 'מצטערים, המשתתפים חייבים להיות בני 18 ומעלה. לא נשמר עליכם דבר.',
  askGender: 'מגדר?',
  gender_female: 'אישה',
  gender_male: 'גבר',
  gender_other: 'אחר',
  gender_undisclosed: 'מעדיף/ה לא לומר',
  askAgeRange: 'טווח גיל?',
  age_undisclosed: 'מעדיף/ה לא לומר',
  askAccent: 'מבטא? בחרו אחד, או הקישו "אכתוב בעצמי" וכתבו אותו.',
  'accent_native-israeli': 'ישראלי (עברית שפת אם)',
  accent_russian: 'רוסי',
  accent_arabic: 'ערבי',
  accent_english: 'אנגלי',
  accent_french: 'צרפתי',
  accent_amharic: 'אמהרי',
  accent_us: 'אמריקאי',
  accent_uk: 'בריטי',
  accent_australian: 'אוסטרלי',
  accent_indian: 'הודי',
  accent_israeli: 'ישראלי',
  'accent_other-native': 'מבטא אחר של דוברי אנגלית כשפת אם',
  accent_undisclosed: 'מעדיף/ה לא לומר',
  accentTypeOwn: 'אכתוב בעצמי',
  accentAskText: 'כתבו את המבטא שלכם בכמה מילים.',
  accentTooLong: 'אנא כתבו פחות מ־{max} תווים.',
  calibration:
    'ראשית, סרטון כיול קצר (כמה שניות), במצלמה הקדמית, עם הפנים בתמונה: הוציאו לשון, ואז חייכו. אין צורך לדבר. ' +
    'שלחו אותו כסרטון או כהודעת וידאו עגולה.',
  calibrationStored: 'סרטון הכיול התקבל. תודה!',
  prompt: 'קראו בקול את המשפט הזה, מול המצלמה, עם הפנים בתמונה, ושלחו את הסרטון:\n\n«{text}»',
  promptCustom: 'הקליטו את הטקסט הזה מול המצלמה ושלחו את הסרטון:\n\n«{text}»',
  skip: 'דלגו',
  report: 'דווחו',
  reportAsk: 'מה הבעיה במשפט הזה?',
  reason_typo: 'שגיאת כתיב או דקדוק',
  reason_offensive: 'פוגעני',
  reason_hard: 'קשה להקראה',
  reason_other: 'משהו אחר',
  reportThanks: 'תודה, המשפט דווח.',
  stored: 'התקבל, תודה! מספר ההקלטות עד כה: {count}.',
  storedEarlier:
    'התקבל, תודה! הסרטון הזה נשלח כשעל המסך היה «{text}», ולכן הוא נשמר כהקראה של המשפט הזה. מספר ההקלטות עד כה: {count}.',
  duplicate: 'הסרטון הזה כבר התקבל ונשמר.',
  sentBeforePrompt:
    'הסרטון הזה נשלח לפני שהמשפט שעל המסך עכשיו הוצג, ולכן אינו הקראה שלו ולא נשמר. קראו את המשפט ושלחו סרטון חדש.',
  noSentences: 'אין כרגע משפטים נוספים עבורכם. תודה רבה על העזרה!',
  capReached: 'הגעתם ל־{max} הקלטות, המספר המרבי לאדם אחד. תודה רבה!',
  tooLarge: 'הסרטון הזה גדול מ־20 MB, הגודל המרבי שבוט יכול להוריד. הקליטו סרטון קצר יותר (פחות מ־{max}) ושלחו שוב.',
  tooShort: 'אורך הסרטון {duration}; הוא צריך להיות לפחות {min}. אנא הקליטו שוב.',
  tooLong: 'אורך הסרטון {duration}; הוא יכול להיות לכל היותר {max}. הקליטו רק את המשפט ושלחו שוב.',
  notVideoFile: 'הקובץ הזה אינו סרטון. שלחו סרטון או הודעת וידאו עגולה.',
  gifRefused: 'בקובצי GIF אין קול, ולכן אי אפשר להשתמש בהם. הקליטו סרטון במצלמה ושלחו אותו.',
  forwardedRefused:
    'אי אפשר להשתמש בסרטונים שהועברו: כל הקלטה צריכה להיות שלכם, מוקלטת על ידיכם ובהסכמתכם. הקליטו את המשפט בעצמכם.',
  wrongKindRecording:
    'צריך סרטון שבו אתם קוראים את המשפט: הקישו על האטב או על המצלמה והקליטו סרטון, או החזיקו את כפתור הודעת הווידאו העגולה.',
  answerWithButtons: 'אנא ענו בעזרת הכפתורים של השאלה הזאת:',
  needOnboarding: 'לפני ההקלטה, אנא סיימו את ההרשמה הקצרה: שלחו ‎/start. שום דבר לא נשמר.',
  blocked: 'אינכם יכולים לתרום הקלטות באמצעות הבוט הזה.',
  staleButton: 'הכפתור הזה כבר אינו פעיל.',
  help:
    'הבוט מציג לכם משפטים; אתם מקליטים את עצמכם קוראים כל משפט ושולחים את הסרטון. ‎/lang מחליף שפה, ' +
    '‎/mine מציג את ההקלטות שלכם, ‎/delete מוחק את כולן, ‎/start מתחיל מחדש.',
  adminOnly: 'הפקודה הזאת מיועדת למנהלים בלבד.',
  vipOnly: 'התפריט הזה מיועד למשתתפים מוזמנים בלבד.',
  vipMenu: 'הגדרות צילום: תאורה {lighting}, מיקום {location}. בחרו מה לשנות או להקליט:',
  vipLighting: 'תאורה',
  vipLocation: 'מיקום',
  lighting_daylight: 'אור יום',
  lighting_indoor: 'תאורת פנים',
  lighting_dim: 'תאורה חלשה',
  location_home: 'בית',
  location_office: 'משרד',
  location_outdoors: 'בחוץ',
  location_vehicle: 'ברכב',
  vipCalibration: 'הקלטת כיול',
  vipCustom: 'הקלטת טקסט משלי',
  vipCustomAsk: 'שלחו את הטקסט להקלטה (עד {max} תווים).',
  customTooLong: 'הטקסט יכול להכיל עד {max} תווים, ובטקסט הזה יש {length}. שלחו טקסט קצר יותר.',
  vipSet: 'נשמר: {name} = {value}.',
  unset: 'לא הוגדר',
  sentencesAdded: 'נוספו {added} משפטים ({existing} כבר היו קיימים, {rejected} נדחו).',
  sentencesUsage:
    'שימוש: ‎/sentences add he|en ואחריו משפט אחד בכל שורה, או ככיתוב של קובץ ‎.txt עם משפט אחד בכל שורה.',
  blockUsage: 'שימוש: ‎/block <מזהה משתמש בטלגרם>',
  blockedUser: 'המשתמש {user} נחסם; ההקלטות שלו לא ייכללו בייצוא.',
  unblockUsage: 'שימוש: ‎/unblock <מזהה משתמש בטלגרם>',
  unblockedUser: 'החסימה של המשתמש {user} הוסרה.',
  notBlocked: 'המשתמש {user} אינו חסום.',
  statsContributors: 'משתתפים: {count} ({consented} הסכימו, {blocked} חסומים)',
  statsRecordings: 'הקלטות: {count} ({calibration} כיול), {minutes} דקות',
  statsQuality: 'איכות: {verdicts}',
  statsSentences:
    'משפטים ({language}): {active} מוצעים ({retired} הוצאו), הוקלטו לפחות פעם אחת {recorded}, מינימום {fewest}, מקסימום {most} הקלטות; {reports} דיווחים, {skips} דילוגים',
  none: 'עדיין אין',
  clearConfirm: 'למחוק את כל ההקלטות, המשתתפים והמשפטים שסומנו כנתוני בדיקה ({count} פריטים)? אי אפשר לבטל זאת.',
  clearYes: 'מחיקת נתוני הבדיקה',
  clearNo: 'ביטול',
  cleared: 'נמחקו {recordings} הקלטות בדיקה, {contributors} משתתפי בדיקה ו־{sentences} משפטי בדיקה.',
  clearCancelled: 'שום דבר לא נמחק.',
  exportCaption:
    '{count} הקלטות מ־{speakers} דוברים (train {train}, dev {dev}, test {test}); לא נכללו: {belowVerdict} מתחת לציון המינימלי, {blocked} של משתמשים חסומים, {heldOut} כדי להפריד את משפטי הבדיקה.',
  exportEmpty: 'אין עדיין הקלטות לייצוא.',
  mineEmpty: 'אין לכם הקלטות שמורות.',
  mineHeader: 'ההקלטות שלכם ({count}):',
  mineLine: '{index}. «{prompt}»: {verdict}',
  mineMore: '…ועוד {count} קודמות.',
  deleteNothing: 'לא נשמר אצלנו דבר שלכם מלבד מצב השיחה הזאת, וגם הוא נמחק עכשיו.',
  deleteConfirm:
    'הפעולה הזאת מוחקת את כל ההקלטות שלכם ({count}), את מה שהמערכת הפיקה מהן ואת התשובות שלכם, מהאחסון ומכל ייצוא עתידי של המאגר. עותקים שחוקרים הורידו קודם לכן אי אפשר להחזיר. למחוק הכול?',
  deleteYes: 'מחקו הכול',
  deleteNo: 'השאירו את ההקלטות',
  deleted: 'בוצע: {count} הקלטות והתשובות שלכם נמחקו. שלחו ‎/start אם תרצו להשתתף שוב.',
  deleteCancelled: 'שום דבר לא נמחק.',
  failed: 'משהו השתבש בטיפול בהודעה שלכם. אנא שלחו אותה שוב בעוד דקה.',
  recordAgain: 'הקליטו שוב',
  quality_accepted: 'ההקלטה שלכם של «{prompt}» נבדקה והתקבלה. תודה!',
  quality_unverified: 'ההקלטה שלכם של «{prompt}» התקבלה. נבדק ותקין: {passed}. לא ניתן היה לבדוק כאן: {notRun}.',
  quality_no_face: 'לא ניתן להשתמש בהקלטה שלכם של «{prompt}»: לא נמצאו פנים. השאירו את כל הפנים בתמונה והקליטו שוב.',
  quality_face_too_small:
    'לא ניתן להשתמש בהקלטה שלכם של «{prompt}»: הפנים קטנות מדי בתמונה. קרבו את הטלפון, כך שהפנים ימלאו חלק גדול מהמסך, והקליטו שוב.',
  quality_too_dark: 'לא ניתן להשתמש בהקלטה שלכם של «{prompt}»: הפנים חשוכות מדי. עמדו מול חלון או מנורה והקליטו שוב.',
  quality_no_speech:
    'לא ניתן להשתמש בהקלטה שלכם של «{prompt}»: לא נשמע דיבור. קראו את המשפט בקול, קרוב לטלפון, והקליטו שוב.',
  quality_several_speakers:
    'לא ניתן להשתמש בהקלטה שלכם של «{prompt}»: מדבר בה יותר מאדם אחד. הקליטו אותה כשרק אתם מדברים.',
  quality_face_not_speaking:
    'לא ניתן להשתמש בהקלטה שלכם של «{prompt}»: הקול אינו תואם את הפנים שעל המסך. הקליטו את עצמכם קוראים, בקולכם, עם הפנים בתמונה.',
  quality_incomplete:
    'לא ניתן להשתמש בהקלטה שלכם של «{prompt}»: המשפט נקטע. התחילו להקליט לפני שאתם מדברים, עצרו אחרי המילה האחרונה, והקליטו שוב.',
  quality_wrong_sentence:
    'לא ניתן להשתמש בהקלטה שלכם של «{prompt}»: היא אינה תואמת את המשפט. קראו בדיוק את הטקסט המוצג והקליטו שוב.',
  quality_too_short: 'לא ניתן להשתמש בהקלטה שלכם של «{prompt}»: היא קצרה מ־{limit}. אנא הקליטו שוב.',
  quality_too_long: 'לא ניתן להשתמש בהקלטה שלכם של «{prompt}»: היא ארוכה מ־{limit}. הקליטו רק את המשפט ושלחו שוב.',
  quality_unreadable:
    'לא ניתן להשתמש בהקלטה שלכם של «{prompt}»: לא ניתן היה לקרוא את קובץ הווידאו. הקליטו במצלמה של טלגרם ושלחו כסרטון.',
  quality_failed: 'לא ניתן היה לבדוק את ההקלטה שלכם של «{prompt}» בגלל תקלה אצלנו. אנא הקליטו שוב מאוחר יותר.',
  verdict_pending: 'בבדיקה',
  verdict_accepted: 'התקבלה',
  verdict_unverified: 'התקבלה, נבדקה בחלקה',
  verdict_no_face: 'לא נמצאו פנים',
  verdict_face_too_small: 'הפנים קטנות מדי',
  verdict_too_dark: 'חשוך מדי',
  verdict_no_speech: 'לא נשמע דיבור',
  verdict_several_speakers: 'יותר מדובר אחד',
  verdict_face_not_speaking: 'הקול אינו תואם את הפנים',
  verdict_incomplete: 'המשפט נקטע',
  verdict_wrong_sentence: 'אינה תואמת את המשפט',
  verdict_too_short: 'קצרה מדי',
  verdict_too_long: 'ארוכה מדי',
  verdict_unreadable: 'לא ניתן היה לקרוא את הקובץ',
  verdict_failed: 'לא ניתן היה לבדוק',
  check_face: 'הפנים בתמונה',
  check_face_size: 'הפנים גדולות מספיק',
  check_lighting: 'תאורה מספקת על הפנים',
  check_speech: 'נשמע דיבור',
  check_one_speaker: 'רק אדם אחד מדבר',
  check_face_speaking: 'הקול תואם את תנועות השפתיים',
  check_sentence: 'המשפט כולו הוקרא',
  listSeparator: ', ',
  calibrationPrompt: 'כיול: לשון בחוץ, ואז חיוך',
};

export const MESSAGES: Record<Language, Record<MessageKey, string>> = { en, he };

/** The message in `language`, with {placeholders} filled. */
export function t(language: Language, key: MessageKey, params: Record<string, string | number> = {}): string {
  return MESSAGES[language][key].replace(/\{(\w+)\}/g, (match, name: string) =>
    name in params ? String(params[name]) : match,
  );
}

/** Labels of option codes (gender_female, accent_us...); an unknown code shows as itself. */
export function label(language: Language, prefix: string, code: string): string {
  const key = `${prefix}_${code}`;
  return key in MESSAGES[language] ? MESSAGES[language][key as MessageKey] : code;
}

/** A duration in words: "שנייה אחת", "2 seconds". */
export function seconds(language: Language, value: number): string {
  const rounded = Number(value.toFixed(1));
  if (language === 'he') {
    if (rounded === 1) return 'שנייה אחת';
    if (rounded === 2) return 'שתי שניות';
    return `${rounded} שניות`;
  }
  return rounded === 1 ? '1 second' : `${rounded} seconds`;
}

/** Labels joined in the language's list style. */
export function list(language: Language, prefix: string, codes: readonly string[]): string {
  return codes.map((code) => label(language, prefix, code)).join(t(language, 'listSeparator'));
}
