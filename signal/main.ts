/** The signal process: `node build/signal/main.js` (see README). */
import { StartupError, readConfig } from './config.js';
import { createLogger } from './log.js';
import { assertNativeUws } from './native-uws.js';
import { startSignalServer } from './server.js';

async function main(): Promise<void> {
  const config = readConfig();
  assertNativeUws();
  const log = createLogger(config.logLevel);
  const server = await startSignalServer(config, log);

  const stop = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.on('SIGHUP', () => {
    server.reloadStaticFiles().catch((error: unknown) => log.error({ err: error }, 'static files not reloaded; still serving the previous ones'));
  });
}

main().catch((error: unknown) => {
  const detail = error instanceof StartupError ? error.message : error instanceof Error ? error.stack : String(error);
  console.error(`whisper-signal: ${detail}`);
  process.exit(1);
});
