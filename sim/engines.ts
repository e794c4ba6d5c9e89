/**
 * The ways to run the firmware: its logic directly on Node, or inside a real XS engine (xsnap)
 * over the bridge, both against this process's Node adapters; or the real Moddable lin build,
 * which brings its own platform (sim/moddable/).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeviceOptions, DeviceStatus, StartDevice } from '../firmware/platform/types';
import { bundleForXs } from '../node/xs/run';
import type { Engine } from './args';
import type { ImageVariant } from './moddable/build';
import { imageFor, ModdableProcess, type ModdableBootOptions } from './moddable/engine';
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
  /** The real build only: a forced GC, then the XS memory figures (and the process id, for CPU time). */
  memory?(): Promise<{ pid: number | undefined; figures: unknown }>;
}

export interface DeviceEngine {
  readonly name: Engine;
  /** True when the firmware runs against this process's Node adapters (node, xs), handed in as `boot`. */
  readonly nodePlatform: boolean;
  boot(boot: NodeBoot | undefined, options: DeviceOptions, log: (message: string) => void): Promise<RunningDevice>;
}

function nodeBoot(boot: NodeBoot | undefined): NodeBoot {
  if (!boot) throw new Error('this engine runs on the Node platform adapters');
  return boot;
}

export function nodeEngine(firmware: FirmwareSource): DeviceEngine {
  return {
    name: 'node',
    nodePlatform: true,
    async boot(boot, options) {
      const handle = firmware.startDevice(nodeBoot(boot).platform, options);
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

/**
 * One classic script: the firmware module plus the XS-side adapters, as xsnap evaluates it, with
 * the intrinsics and the firmware's module exports frozen as on a board (node/xs/freeze.ts).
 */
export function bundleFirmwareForXs(firmwareModule: string): string {
  const cached = bundles.get(firmwareModule);
  if (cached !== undefined) return cached;
  const contents = `import { startDevice } from ${JSON.stringify(firmwareModule)};
import { runGuest } from ${JSON.stringify(RUNTIME)};
runGuest(startDevice);
`;
  const code = bundleForXs({ contents, resolveDir: path.dirname(RUNTIME) });
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
    nodePlatform: true,
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
      const server = new PlatformServer({ platform: nodeBoot(boot).platform, push });
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

/** The real lin build (the image is built, or reused, with the installed SDK at the first boot). */
export function moddableEngine(boot: Omit<ModdableBootOptions, 'image'>, variant: ImageVariant = 'release'): DeviceEngine {
  return {
    name: 'moddable',
    nodePlatform: false,
    async boot(_boot, options) {
      return ModdableProcess.start(options, { ...boot, image: imageFor(variant) });
    },
  };
}
