export * as imaging from './imaging.js';
export * as maintenance from './maintenance.js';
export * as messaging from './messaging.js';
export * as payments from './payments.js';
export * as rollout from './rollout.js';
