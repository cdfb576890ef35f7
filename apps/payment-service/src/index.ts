export { normalizeUserId } from '@astria/events';
export { type PaymentServiceAppOptions, paymentServiceApp } from './app.js';
export { readPath } from './field-path.js';
export type { IncomingPayment, Interpretation, Provider } from './payment.js';
export { applyReviewedPayment, listNeedsReview, listRejections } from './review.js';
export { runPaymentsCli } from './review-cli.js';
export { createStripePriceLookup, type StripePriceLookup } from './stripe-prices.js';
export { DEFAULT_SUMIT_FIELDS, interpretSumit, type SumitFields, sumitOptionsFromConfig } from './sumit.js';
export { parseTier, TIERS, type Tier } from './tiers.js';
