import { ConfigError, loadDotEnvFile } from '@astria/config';
import { startSandbox } from './sandbox.js';

// `pnpm start`: the whole bot in one process, with simulators and the chat page.
loadDotEnvFile();
try {
  const sandbox = await startSandbox();
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    process.stdout.write(`\n  ${signal}: stopping the sandbox…\n`);
    // SIGTERM (a container stop) drains first, like every service; Ctrl-C at the terminal closes at once.
    const drainMs = signal === 'SIGTERM' ? undefined : 0;
    const force = setTimeout(() => process.exit(1), 10_000 + (drainMs ?? sandbox.shutdownDrainMs));
    force.unref();
    await sandbox.shutdown(drainMs);
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(78);
  }
  const code = (error as { code?: string }).code;
  if (code === 'EADDRINUSE') {
    process.stderr.write(
      `A sandbox port is already in use (${(error as Error).message}). Stop the other process or set SANDBOX_PORT, MESSAGE_SERVICE_PORT, … (see docs/sandbox.md).\n`,
    );
    process.exit(1);
  }
  throw error;
}
