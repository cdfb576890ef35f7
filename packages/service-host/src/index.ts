export { createService, drainAndClose, type ServiceDependencies } from './create-service.js';
export { loadServiceConfigOrExit, type RunServiceOptions, runService } from './run-service.js';
export { startTelemetry } from './telemetry.js';
