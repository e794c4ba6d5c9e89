/**
 * Runs inside XS. What a Moddable image does to the code it preloads, done to a bundle in xsnap,
 * so CI meets the faults a board meets without the SDK: once the module bodies have run, every
 * intrinsic reachable from globalThis (constructors, their prototypes, namespace objects such as
 * JSON and Math) and everything each preloaded module exports are hardened (frozen, deeply).
 * The classic fault this catches: `this.name = 'X'` in an Error subclass throws "set name: not
 * writable", because `name` is inherited from the frozen Error.prototype.
 * A board freezes a little less (module-level objects stay writable through RAM); exported
 * values are frozen here too because nothing of ours may change them at run time.
 */
declare function harden<T>(value: T): T;

function hardenable(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

export function freezeLikeModdablePreload(modules: readonly object[]): void {
  const global = globalThis as unknown as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    const value = global[name];
    // The global object itself stays open, as on the board (hosts add globals such as `screen`).
    if (value !== globalThis && hardenable(value)) harden(value);
  }
  for (const namespace of modules) {
    for (const value of Object.values(namespace)) if (hardenable(value)) harden(value);
  }
}
