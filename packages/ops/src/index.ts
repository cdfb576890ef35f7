export * from './checklist.js';
export { LOCAL, parseValidateArgs, USAGE } from './validate-args.js';
