/**
 * The Moddable manifest, checked without the SDK (CI has none). What bit the real build: a new
 * firmware or shared/ module missing from the manifest ("module not found" at link time, found
 * only by `mcconfig`); wildcard preloads, which mcconfig matches against JavaScript files only
 * (every .ts module then loads into RAM at run time); a wildcard that turned a tsconfig.json into
 * a module; per-platform modules listed at the root (the first listed wins); and the SDK's
 * network set-up module, which joins Wi-Fi before `main` and never runs it if that fails.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_PORT, DEFAULT_LAN_PORT, DEFAULT_WOL_ADDRESS, DEFAULT_WOL_PORT } from '../../firmware/constants';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'manifest.json'), 'utf8')) as {
  include: string[];
  modules: Record<string, string | string[]>;
  preload: string[];
  config: Record<string, unknown>;
  platforms: Record<string, { modules?: Record<string, string | string[]>; preload?: string[]; config?: Record<string, unknown>; creation?: Record<string, unknown>; error?: string }>;
};
const BUILT = ['esp', 'esp32', 'lin'] as const;
/** Per-platform implementations of one module name: listed in each platform block, never at the root. */
const PER_PLATFORM = ['firmware/platform/moddable/store', 'wakelink/board', 'wakelink/host'];

function tsModules(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(ROOT, dir))) {
    const relative = path.join(dir, name);
    if (statSync(path.join(ROOT, relative)).isDirectory()) out.push(...tsModules(relative));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(relative.slice(0, -3).split(path.sep).join('/'));
  }
  return out;
}

/** Every module the board runs: firmware/ (but the in-memory test platform and per-platform files) and shared/. */
function boardModules(): string[] {
  const perPlatformFiles = new Set(['firmware/platform/moddable/store-file', 'firmware/platform/moddable/host/lin', 'firmware/platform/moddable/host/none']);
  return [...tsModules('firmware'), ...tsModules('shared')]
    .filter((name) => !name.startsWith('firmware/platform/memory/') && !perPlatformFiles.has(name))
    .filter((name) => name !== 'firmware/platform/moddable/store');
}

describe('manifest.json (mcconfig input)', () => {
  it('lists every firmware and shared/ module by name, and nothing that is not a module', () => {
    const listed = Object.keys(manifest.modules).filter((name) => name !== '*');
    expect(listed.sort()).toEqual(boardModules().sort());
    for (const [name, source] of Object.entries(manifest.modules)) {
      if (name === '*') continue;
      expect(source, name).toBe(`./${name}`);
    }
  });

  it('preloads every one of them by name: no wildcard preload (mcconfig matches those against .js only)', () => {
    for (const entry of [...manifest.preload, ...BUILT.flatMap((p) => manifest.platforms[p]!.preload ?? [])]) expect(entry).not.toContain('*');
    for (const name of [...boardModules(), ...PER_PLATFORM]) expect(manifest.preload, name).toContain(name);
  });

  it('gives each built platform its own implementation of the per-platform modules, none at the root', () => {
    for (const name of PER_PLATFORM) {
      expect(manifest.modules[name], `${name} at the root`).toBeUndefined();
      for (const platform of BUILT) expect(manifest.platforms[platform]!.modules?.[name], `${name} on ${platform}`).toBeDefined();
    }
    const sources = (platform: string, name: string): string[] => [manifest.platforms[platform]!.modules![name]!].flat();
    expect(sources('lin', 'wakelink/board')).toContain('./firmware/platform/moddable/native/lin/board');
    for (const board of ['esp', 'esp32']) expect(sources(board, 'wakelink/board')).toContain('./firmware/platform/moddable/native/esp/board');
  });

  it('includes no SDK manifest that brings setup/network (it would join Wi-Fi before main): the firmware owns Wi-Fi', () => {
    for (const include of manifest.include) {
      const file = include.replace('$(MODDABLE)', '').replace('$(MODULES)', '/modules');
      expect(file, include).not.toMatch(/manifest_net\.json$|\/network\/websocket\/manifest\.json$|\/network\/net\/manifest\.json$|\/network\/sntp\/manifest\.json$/);
    }
  });

  it('builds for esp, esp32 and lin only, with the lin build safe on a test machine', () => {
    expect(manifest.platforms['...']!.error).toMatch(/esp.*esp32.*lin/);
    const lin = { ...manifest.config, ...manifest.platforms.lin!.config };
    // Nothing leaves a test machine: no SNTP, magic packets to loopback, no fixed local port 9.
    expect(lin.sntp).toBe('');
    expect(lin.wol_address).toBe('127.0.0.1');
    expect(lin.wol_local_port).toBe(0);
    expect(lin.host_clock).toBe(true);
    expect(lin.file).toEqual({ root: './' });
    // The boards: broadcast wake, v1.0 ports, SNTP on.
    expect(manifest.config).toMatchObject({ wol_address: DEFAULT_WOL_ADDRESS, wol_port: DEFAULT_WOL_PORT, lan_port: DEFAULT_LAN_PORT, http_port: DEFAULT_HTTP_PORT });
    expect(manifest.platforms.esp!.creation!.stack).toBe(288);
  });
});
