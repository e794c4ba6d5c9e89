/** The two ways to run the firmware logic: directly on Node, or inside a real XS engine over the bridge. */
import { buildSync } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeviceOptions, DeviceStatus, StartDevice } from '../firmware/platform/types';
import { XS_BUNDLE_OPTIONS } from '../node/xs/run';
import type { NodeBoot } from './node/platform';
import { XsBridge } from './xs/bridge';
import type { GuestReply, HostEvent } from './xs/protocol';
import { PlatformServer } from './xs/serve';

/** Which firmware to run: the function for the node engine, and the module that exports it, for XS. */
export interface FirmwareSource {
  startDevice: StartDevice;
  /** Absolute path of a module exporting `startDevice` (bundled for XS). */
  module: string;
}

export interface RunningDevice {
  status(): Promise<DeviceStatus>;
  /** Orderly stop: the logic closes its sockets and flushes its counter. */
  stop(): Promise<void>;
  /** Power cut: nothing runs in the logic any more (the caller then closes what it left open). */
  kill(): Promise<void>;
}

export interface DeviceEngine {
  readonly name: 'node' | 'xs';
  boot(boot: NodeBoot, options: DeviceOptions, log: (message: string) => void): Promise<RunningDevice>;
}

export function nodeEngine(firmware: FirmwareSource): DeviceEngine {
  return {
    name: 'node',
    async boot(boot, options) {
      const handle = firmware.startDevice(boot.platform, options);
      let alive = true;
      return {
        status: async () => handle.status(),
        stop: async () => {
          if (alive) handle.stop();
          alive = false;
        },
        kill: async () => {
          alive = false;
        },
      };
    },
  };
}

const RUNTIME = fileURLToPath(new URL('./xs/guest/runtime.ts', import.meta.url));
const bundles = new Map<string, string>();

/** One classic script: the firmware module plus the XS-side adapters, as xsnap evaluates it. */
export function bundleFirmwareForXs(firmwareModule: string): string {
  const cached = bundles.get(firmwareModule);
  if (cached !== undefined) return cached;
  const contents = `import { startDevice } from ${JSON.stringify(firmwareModule)};
import { runGuest } from ${JSON.stringify(RUNTIME)};
runGuest(startDevice);
`;
  const result = buildSync({
    ...XS_BUNDLE_OPTIONS,
    stdin: { contents, resolveDir: path.dirname(RUNTIME), sourcefile: 'xs-firmware-entry.ts', loader: 'ts' },
  });
  const code = result.outputFiles[0]!.text;
  bundles.set(firmwareModule, code);
  return code;
}

function checkReply(reply: GuestReply, what: string): GuestReply {
  if (!reply.ok) throw new Error(`${what} failed inside XS: ${reply.error ?? 'no reason given'}`);
  return reply;
}

export function xsEngine(firmware: FirmwareSource, onEngineExit: (reason: string) => void): DeviceEngine {
  return {
    name: 'xs',
    async boot(boot, options, log) {
      let bridge: XsBridge | undefined;
      let killed = false;
      // Events raised before the bridge is up cannot exist: XS asks for every resource first.
      const push = (event: HostEvent): void => {
        bridge?.push(event).then(
          (reply) => {
            if (!reply.ok) log(`xs: ${event.ev} event failed: ${reply.error ?? ''}`);
          },
          (error: Error) => {
            // After a reboot or stop, events still in flight for the old engine are simply lost, as on a reset.
            if (!killed) log(`xs: ${event.ev} event not delivered: ${error.message}`);
          },
        );
      };
      const server = new PlatformServer({ platform: boot.platform, push });
      bridge = await XsBridge.start({
        code: bundleFirmwareForXs(firmware.module),
        serve: (request) => server.serve(request),
        onExit: (reason) => {
          if (!killed) onEngineExit(reason);
        },
      });
      const started = bridge;
      checkReply(await started.push({ ev: 'boot', options }), 'boot');
      return {
        status: async () => checkReply(await started.push({ ev: 'status' }), 'status').status!,
        stop: async () => {
          if (killed) return;
          try {
            if (started.alive) checkReply(await started.push({ ev: 'stop' }), 'stop');
          } catch (error) {
            log(`xs: orderly stop failed: ${(error as Error).message}`);
          } finally {
            killed = true;
            await started.close();
          }
        },
        kill: async () => {
          killed = true;
          await started.close();
        },
      };
    },
  };
}
