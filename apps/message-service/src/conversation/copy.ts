import type { PhotoRejectionReason, Tier } from '@astria/events';
import type { Language } from './types.js';

/**
 * Every word the bot says, in English and Hebrew. Button titles ≤ 20 characters, list rows ≤ 24,
 * row descriptions ≤ 72 (WhatsApp's limits; the tests check every string).
 */
export interface Copy {
  welcome: (name: string | null) => string;
  menuButton: string;
  begin: string;
  beginDesc: string;
  how: string;
  howDesc: string;
  switchLanguage: string;
  switchLanguageDesc: string;
  support: string;
  supportDesc: string;
  howItWorks: (minPhotos: number) => string;
  guidelines: (minPhotos: number) => string;
  ready: string;
  showExamples: string;
  examplesCaption: string;
  noExamples: string;
  sendPhotos: (minPhotos: number, accepted: number) => string;
  photoAccepted: string;
  photoRejected: (reason: PhotoRejectionReason | undefined) => string;
  enoughPhotos: (accepted: number) => string;
  addMore: string;
  addMoreDesc: string;
  done: string;
  doneDesc: string;
  startOver: string;
  startOverDesc: string;
  sendMore: string;
  notEnoughPhotos: (minPhotos: number, accepted: number) => string;
  chooseTier: string;
  tierTitle: Record<Tier, string>;
  tierDesc: (tier: Tier, images: number, price: number) => string;
  tiersButton: string;
  packBody: (title: string, price: number, images: number | null) => string;
  wantThis: string;
  packExamples: string;
  noPacks: string;
  previewNotReady: string;
  disclaimer: string;
  agree: string;
  payBody: string;
  payButton: string;
  payNote: string;
  thanksPaid: (name: string | null, etaMinutes: number) => string;
  paidNeedPhotos: (name: string | null, minPhotos: number) => string;
  paidNeedPack: (name: string | null) => string;
  stillWorking: (etaMinutes: number) => string;
  ready_: string;
  rateBody: string;
  rateButton: string;
  stars: (n: number) => string;
  anotherPack: string;
  ratingThanks: string;
  askFeedback: string;
  feedbackThanks: (support: string) => string;
  returning: string;
  useSaved: string;
  newModel: string;
  noSavedModels: string;
  savedModel: (subjectClass: string, created: string, expires: string) => string;
  useThisModel: string;
  trainingFailed: string;
  supportContact: (support: string) => string;
  unsupported: string;
  expired: string;
  languageSwitched: string;
  photoWhileTraining: string;
  restarted: (minPhotos: number) => string;
  erase: string;
  eraseDesc: string;
  eraseAsk: string;
  eraseYes: string;
  eraseNo: string;
  erased: string;
  eraseCancelled: string;
}

const tierImages: Record<Tier, number> = { lite: 12, standard: 24, premium: 40 };
export function defaultTierImages(tier: Tier): number {
  return tierImages[tier];
}

const en: Copy = {
  welcome: (name) =>
    `Hi${name ? ` ${name}` : ''}! 👋 I turn a few selfies into professional AI portraits. What would you like to do?`,
  menuButton: 'Menu',
  begin: "Let's begin",
  beginDesc: 'Upload selfies and pick a style',
  how: 'How it works',
  howDesc: 'Photos, style, payment, portraits',
  switchLanguage: 'עברית',
  switchLanguageDesc: 'Switch to Hebrew',
  support: 'Contact support',
  supportDesc: 'Talk to a human',
  howItWorks: (n) =>
    `How it works:\n1. Send me at least ${n} clear selfies.\n2. Pick a style pack and a size.\n3. Pay with the secure link.\n4. About 25 minutes later your portraits arrive right here.`,
  guidelines: (n) =>
    `Photo tips 📸\n• At least ${n} clear photos of your face, in good light\n• Different angles and backgrounds help\n• No sunglasses, hats, group photos, heavy filters or blur`,
  ready: "I'm ready",
  showExamples: 'Show me examples',
  examplesCaption: 'A good example',
  noExamples: 'Clear, well-lit photos of just you work best.',
  sendPhotos: (n, accepted) =>
    accepted > 0
      ? `Great, keep them coming: ${accepted} of ${n} photos accepted so far.`
      : `Send me at least ${n} photos of yourself, one by one or all at once.`,
  photoAccepted: '✅',
  photoRejected: (reason) => `I can't use this photo: ${rejectionEn[reason ?? 'unreadable']}. Please send another one.`,
  enoughPhotos: (accepted) => `You have ${accepted} good photos. 🎉 What next?`,
  addMore: 'Add more photos',
  addMoreDesc: 'More photos, better results',
  done: "I'm done",
  doneDesc: 'Choose a style pack',
  startOver: 'Start over',
  startOverDesc: 'Forget these photos',
  sendMore: 'Send more photos whenever you like.',
  notEnoughPhotos: (n, accepted) => `I need at least ${n} good photos first (${accepted} so far).`,
  chooseTier: 'Choose a size:',
  tierTitle: { lite: 'Lite', standard: 'Standard', premium: 'Premium' },
  tierDesc: (_tier, images, price) => `${images} images · ${price}`,
  tiersButton: 'Sizes',
  packBody: (title, price, images) => `${title}\n${images !== null ? `${images} images · ` : ''}${price}`,
  wantThis: 'I want this',
  packExamples: 'Show examples',
  noPacks: 'No packs are available in this size right now. Please pick another size.',
  previewNotReady: 'The preview for this pack is not ready yet.',
  disclaimer:
    'Before you pay: these portraits are generated by AI. They may not look 100% like you, and there is no human retouching.',
  agree: 'I agree',
  payBody: 'Tap below to pay securely.',
  payButton: 'Pay now',
  payNote: 'Confirmation can take a few minutes after you pay. I will message you here.',
  thanksPaid: (name, eta) =>
    `Thanks${name ? `, ${name}` : ''}! 🙏 Payment received. I'm creating your portraits now: they'll be ready within about ${eta} minutes.`,
  paidNeedPhotos: (name, n) =>
    `Thanks${name ? `, ${name}` : ''}! Payment received and saved. Send me at least ${n} photos and I'll start.`,
  paidNeedPack: (name) =>
    `Thanks${name ? `, ${name}` : ''}! Payment received and saved. Choose a style pack and I'll start.`,
  stillWorking: (eta) => `Your portraits are on their way (usually within ${eta} minutes). I'll send them here.`,
  ready_: 'Your portraits are ready! ✨',
  rateBody: 'How do you like them?',
  rateButton: 'Rate',
  stars: (n) => `${'⭐'.repeat(n)} ${n}`,
  anotherPack: 'Create another pack',
  ratingThanks: 'Thank you! 💛',
  askFeedback: 'Sorry to hear that. What should we improve? Write it in one message.',
  feedbackThanks: (support) => `Thanks, that helps us a lot. If you need anything: ${support}`,
  returning: 'Welcome back! Use a saved model or start a new one?',
  useSaved: 'Use a saved model',
  newModel: 'New model',
  noSavedModels: 'You have no saved models that are still active.',
  savedModel: (cls, created, expires) => `Model: ${cls}\nCreated: ${created}\nExpires: ${expires}`,
  useThisModel: 'Use this model',
  trainingFailed:
    "I'm sorry, something went wrong while creating your portraits. Our team has been alerted and will fix it; your payment is safe.",
  supportContact: (support) => `You can reach our team at ${support}.`,
  unsupported: 'I can only work with photos and text.',
  expired: 'That option has expired. Here is where we are:',
  languageSwitched: 'Language: English',
  photoWhileTraining: 'I already have your photos; your portraits are being created.',
  restarted: (n) => `Starting fresh. Send me at least ${n} photos of yourself.`,
  erase: 'Delete my data',
  eraseDesc: 'Photos, portraits, models and chat',
  eraseAsk:
    'Delete all your data? Your photos, portraits, saved models, feedback and our conversation will be erased for good. Payments already made are kept only as a receipt number.',
  eraseYes: 'Yes, delete it',
  eraseNo: 'No, keep it',
  erased: 'Done: your data has been erased. Send any message to start again.',
  eraseCancelled: 'Nothing was deleted.',
};

const rejectionEn: Record<PhotoRejectionReason, string> = {
  no_person: "I couldn't find a person in it",
  funny_face: 'the face is making an expression',
  blurry: "it's blurry",
  sunglasses: 'there are sunglasses',
  multiple_people: 'there is more than one person',
  hat: 'there is a hat',
  unreadable: "I couldn't open it",
  too_large: "it's too large",
  unsupported_type: 'that file type is not supported',
  media_expired: 'it expired before I could download it',
};

const rejectionHe: Record<PhotoRejectionReason, string> = {
  no_person: 'לא מצאתי בה אדם',
  funny_face: 'יש הבעת פנים מוגזמת',
  blurry: 'היא מטושטשת',
  sunglasses: 'יש משקפי שמש',
  multiple_people: 'יש בה יותר מאדם אחד',
  hat: 'יש כובע',
  unreadable: 'לא הצלחתי לפתוח אותה',
  too_large: 'היא גדולה מדי',
  unsupported_type: 'סוג הקובץ לא נתמך',
  media_expired: 'פג תוקפה לפני שהורדתי אותה',
};

const he: Copy = {
  welcome: (name) => `היי${name ? ` ${name}` : ''}! 👋 אני הופך כמה סלפי לתמונות פורטרט מקצועיות ב-AI. מה תרצו לעשות?`,
  menuButton: 'תפריט',
  begin: 'בואו נתחיל',
  beginDesc: 'שליחת סלפי ובחירת סגנון',
  how: 'איך זה עובד',
  howDesc: 'תמונות, סגנון, תשלום, פורטרטים',
  switchLanguage: 'English',
  switchLanguageDesc: 'מעבר לאנגלית',
  support: 'פנייה לתמיכה',
  supportDesc: 'לדבר עם נציג',
  howItWorks: (n) =>
    `איך זה עובד:\n1. שלחו לי לפחות ${n} סלפי ברורים.\n2. בחרו חבילת סגנון וגודל.\n3. שלמו בקישור המאובטח.\n4. בערך 25 דקות אחר כך הפורטרטים מגיעים לכאן.`,
  guidelines: (n) =>
    `טיפים לתמונות 📸\n• לפחות ${n} תמונות ברורות של הפנים, באור טוב\n• זוויות ורקעים שונים עוזרים\n• בלי משקפי שמש, כובעים, תמונות קבוצתיות, פילטרים או טשטוש`,
  ready: 'אני מוכן/ה',
  showExamples: 'הראו לי דוגמאות',
  examplesCaption: 'דוגמה טובה',
  noExamples: 'תמונות ברורות ומוארות שלכם בלבד עובדות הכי טוב.',
  sendPhotos: (n, accepted) =>
    accepted > 0
      ? `מצוין, המשיכו: ${accepted} מתוך ${n} תמונות התקבלו עד עכשיו.`
      : `שלחו לי לפחות ${n} תמונות שלכם, אחת אחת או כולן יחד.`,
  photoAccepted: '✅',
  photoRejected: (reason) =>
    `אי אפשר להשתמש בתמונה הזו: ${rejectionHe[reason ?? 'unreadable']}. שלחו בבקשה תמונה אחרת.`,
  enoughPhotos: (accepted) => `יש לכם ${accepted} תמונות טובות. 🎉 מה הלאה?`,
  addMore: 'עוד תמונות',
  addMoreDesc: 'יותר תמונות, תוצאה טובה יותר',
  done: 'סיימתי',
  doneDesc: 'בחירת חבילת סגנון',
  startOver: 'להתחיל מחדש',
  startOverDesc: 'לשכוח את התמונות האלה',
  sendMore: 'שלחו עוד תמונות מתי שתרצו.',
  notEnoughPhotos: (n, accepted) => `צריך קודם לפחות ${n} תמונות טובות (יש ${accepted}).`,
  chooseTier: 'בחרו גודל:',
  tierTitle: { lite: 'לייט', standard: 'סטנדרט', premium: 'פרימיום' },
  tierDesc: (_tier, images, price) => `${images} תמונות · ${price}`,
  tiersButton: 'גדלים',
  packBody: (title, price, images) => `${title}\n${images !== null ? `${images} תמונות · ` : ''}${price}`,
  wantThis: 'אני רוצה את זה',
  packExamples: 'הראו דוגמאות',
  noPacks: 'אין כרגע חבילות בגודל הזה. בחרו בבקשה גודל אחר.',
  previewNotReady: 'התצוגה המקדימה של החבילה עוד לא מוכנה.',
  disclaimer: 'לפני התשלום: הפורטרטים נוצרים ב-AI. ייתכן שלא ייראו 100% כמוכם, ואין בהם ריטוש אנושי.',
  agree: 'אני מסכים/ה',
  payBody: 'לחצו למטה לתשלום מאובטח.',
  payButton: 'לתשלום',
  payNote: 'האישור יכול לקחת כמה דקות אחרי התשלום. אכתוב לכם כאן.',
  thanksPaid: (name, eta) =>
    `תודה${name ? ` ${name}` : ''}! 🙏 התשלום התקבל. אני יוצר עכשיו את הפורטרטים: הם יהיו מוכנים תוך כ-${eta} דקות.`,
  paidNeedPhotos: (name, n) => `תודה${name ? ` ${name}` : ''}! התשלום התקבל ונשמר. שלחו לי לפחות ${n} תמונות ואתחיל.`,
  paidNeedPack: (name) => `תודה${name ? ` ${name}` : ''}! התשלום התקבל ונשמר. בחרו חבילת סגנון ואתחיל.`,
  stillWorking: (eta) => `הפורטרטים בדרך (בדרך כלל תוך ${eta} דקות). אשלח אותם לכאן.`,
  ready_: 'הפורטרטים שלכם מוכנים! ✨',
  rateBody: 'איך יצא?',
  rateButton: 'דירוג',
  stars: (n) => `${'⭐'.repeat(n)} ${n}`,
  anotherPack: 'חבילה נוספת',
  ratingThanks: 'תודה! 💛',
  askFeedback: 'מצטערים לשמוע. מה כדאי לשפר? כתבו בהודעה אחת.',
  feedbackThanks: (support) => `תודה, זה עוזר לנו מאוד. לכל דבר: ${support}`,
  returning: 'ברוכים השבים! להשתמש במודל שמור או ליצור חדש?',
  useSaved: 'מודל שמור',
  newModel: 'מודל חדש',
  noSavedModels: 'אין לכם מודלים שמורים שעדיין פעילים.',
  savedModel: (cls, created, expires) => `מודל: ${cls}\nנוצר: ${created}\nפג תוקף: ${expires}`,
  useThisModel: 'להשתמש במודל',
  trainingFailed: 'מצטערים, משהו השתבש ביצירת הפורטרטים. הצוות שלנו קיבל התראה ויטפל בזה; התשלום שלכם שמור.',
  supportContact: (support) => `אפשר לפנות לצוות שלנו: ${support}`,
  unsupported: 'אני יכול לעבוד רק עם תמונות וטקסט.',
  expired: 'האפשרות הזו כבר לא בתוקף. הנה איפה שאנחנו:',
  languageSwitched: 'שפה: עברית',
  photoWhileTraining: 'כבר יש לי את התמונות שלכם; הפורטרטים בהכנה.',
  restarted: (n) => `מתחילים מחדש. שלחו לי לפחות ${n} תמונות שלכם.`,
  erase: 'מחיקת המידע שלי',
  eraseDesc: 'תמונות, פורטרטים, מודלים ושיחה',
  eraseAsk:
    'למחוק את כל המידע שלכם? התמונות, הפורטרטים, המודלים השמורים, המשוב והשיחה שלנו יימחקו לתמיד. תשלומים שכבר בוצעו נשמרים רק כמספר קבלה.',
  eraseYes: 'כן, למחוק',
  eraseNo: 'לא, להשאיר',
  erased: 'בוצע: המידע שלכם נמחק. שלחו הודעה כלשהי כדי להתחיל מחדש.',
  eraseCancelled: 'שום דבר לא נמחק.',
};

export const COPY: Record<Language, Copy> = { en, he };
