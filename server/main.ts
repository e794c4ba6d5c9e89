import { ConfigError, loadConfig, type RelayConfig } from './config';
import { withoutPassword } from './logger';
import { RedisStartError } from './backplane/redis-bus';
import { DatabaseOpenError } from './db/database';
import { buildApp } from './app';
import { LIMITS } from './limits';

/** Entry point (`npm start`): read config, build, listen, print the URL, stop cleanly on signals. */
async function main(): Promise<void> {
  let config: RelayConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`wakelink relay: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  let app;
  try {
    app = await buildApp({ config });
  } catch (error) {
    if (error instanceof DatabaseOpenError) {
      process.stderr.write(`wakelink relay: database error: ${error.message}\n`);
      process.exit(3);
    }
    if (error instanceof RedisStartError) {
      process.stderr.write(`wakelink relay: ${error.message}\n`);
      process.exit(5);
    }
    throw error;
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      process.stderr.write('wakelink relay: shutdown timed out\n');
      process.exit(1);
    }, LIMITS.shutdownTimeoutMs);
    deadline.unref();
    app.close().then(() => process.exit(0), (error: unknown) => {
      process.stderr.write(`wakelink relay: shutdown failed: ${(error as Error).message}\n`);
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    process.stderr.write(`wakelink relay: cannot listen on ${config.host}:${config.port}: ${(error as Error).message}\n`);
    await app.close().catch(() => undefined);
    process.exit(4);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const secretNote = config.secretSource === 'generated' ? ' (generated a new SECRET_KEY file in the data directory)' : '';
  const database = config.cluster?.databaseUrl ? withoutPassword(config.cluster.databaseUrl) : config.databaseFile;
  const cluster = config.cluster?.redisUrl ? `, instance ${config.cluster.instanceId} on Redis ${withoutPassword(config.cluster.redisUrl)}` : '';
  process.stdout.write(`WakeLink relay listening on http://${host}:${port} (database ${database}${cluster})${secretNote}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`wakelink relay: fatal: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
