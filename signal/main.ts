/** The signal process: `node build/signal/main.js` (see README). */
import { StartupError, readConfig } from './config.js';
import { createLogger } from './log.js';
import { loadNativeUws } from './native-uws.js';

async function main(): Promise<void> {
  const config = readConfig();
  await loadNativeUws();
  // Imported only now: the server imports uWebSockets.js, and loadNativeUws says clearly why that would fail.
  const { startSignalServer } = await import('./server.js');
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
