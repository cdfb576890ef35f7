import { silentLogger as createSilentLogger, type Logger } from '@astria/service-kit';

/** The janitor logs through service-kit's one logger type (pino's); a silent one for tests and benches. */
export const silentLogger: Logger = createSilentLogger();
