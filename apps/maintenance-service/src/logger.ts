/** The part of a pino logger the janitor uses (so tests and the CLI can pass any pino instance). */
export interface MaintenanceLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: MaintenanceLogger = {
  info() {},
  warn() {},
  error() {},
};
