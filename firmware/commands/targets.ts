/**
 * The commands of named targets, wake confirmation, status and schedules. Replies are paged so
 * each fits v1.0's 500-byte plaintext (`next` is the offset of the next page, or null). Their work
 * reads flash, so it runs in a later turn (`ctx.soon`) and the reply follows, rather than at the
 * deepest point of the request (see CommandContext.soon).
 */
import {
  ErrorCodes, ProtocolError, scheduleFields, targetFields, type CommandData, type JsonObject, type Target,
} from '../../shared/index';
import { SCHEDULES_PAGE, STATUS_PAGE, STATUS_PROBE_TIMEOUT_MS, TARGETS_PAGE } from '../constants';
import { failure, success } from '../replies';
import type { CommandContext, CommandOutcome } from './context';
import { WOL_SEND_FAILED } from './wol-errors';

type Args<C extends CommandData['command']> = Extract<CommandData, { command: C }>;
type Paged = { offset: number };
type Named = { name: string };

/** The reply of `work`, computed in a later turn. */
function later(ctx: CommandContext, work: () => CommandOutcome): CommandOutcome {
  return { reply: {}, defer: (answer) => ctx.soon(() => answer(work().reply)) };
}

function page<T>(items: readonly T[], offset: number, size: number): { slice: readonly T[]; next: number | null } {
  const slice = items.slice(offset, offset + size);
  return { slice, next: offset + size < items.length ? offset + size : null };
}

/** A stored-target failure as its reply (TARGETS_FULL carries the bound). */
function refused(error: unknown, details: JsonObject = {}): CommandOutcome {
  if (error instanceof ProtocolError) return { reply: failure(error.code, { ...details, message: error.message }) };
  throw error;
}

export function targetsList(ctx: CommandContext, args: Paged): CommandOutcome {
  return later(ctx, () => {
    const { slice, next } = page(ctx.targets.store.list(), args.offset, TARGETS_PAGE);
    return { reply: success({ targets: slice.map(targetFields), next, max: ctx.targets.store.max }) };
  });
}

export function targetSet(ctx: CommandContext, args: Args<'target_set'>): CommandOutcome {
  return later(ctx, () => {
    try {
      ctx.targets.store.set(args.target);
    } catch (error) {
      return refused(error, { max: ctx.targets.store.max });
    }
    return { reply: success({ result: 'target_saved', name: args.target.name }) };
  });
}

export function targetDelete(ctx: CommandContext, args: Named): CommandOutcome {
  return later(ctx, () => {
    if (!ctx.targets.store.delete(args.name)) return { reply: failure(ErrorCodes.TARGET_NOT_FOUND, { name: args.name }) };
    return { reply: success({ result: 'target_deleted', name: args.name }) };
  });
}

/** `wake {target}`: the v1.0 wake reply plus the target's name and whether the wake is watched. */
export function wakeTarget(ctx: CommandContext, name: string): CommandOutcome {
  return later(ctx, () => {
    const target = ctx.targets.store.get(name);
    if (!target) return { reply: failure(ErrorCodes.TARGET_NOT_FOUND, { name }) };
    try {
      ctx.targets.wakeTarget(target);
    } catch {
      return { reply: failure(WOL_SEND_FAILED, { mac: target.mac, target: name }) };
    }
    return { reply: success({ result: 'wol_sent', mac: target.mac, target: name, watching: ctx.targets.watcher.watch(target, 'command') }) };
  });
}

/** After a v1.0 `wake {mac}`: a stored target with that MAC and an address is watched (the reply stays v1.0's). */
export function watchByMac(ctx: CommandContext, mac: string): void {
  ctx.soon(() => {
    const target = ctx.targets.store.byMac(mac);
    if (target) ctx.targets.watcher.watch(target, 'command');
  });
}

export function wakeResult(ctx: CommandContext, args: Named): CommandOutcome {
  return later(ctx, () => {
    if (!ctx.targets.store.get(args.name)) return { reply: failure(ErrorCodes.TARGET_NOT_FOUND, { name: args.name }) };
    const result = ctx.targets.watcher.result(args.name);
    const fields: JsonObject = { target: args.name, state: result.state };
    if (result.afterMs !== undefined) fields.after_ms = result.afterMs;
    if (result.elapsedMs !== undefined) fields.elapsed_ms = result.elapsedMs;
    return { reply: success(fields) };
  });
}

/** Probes a page of targets now (through the probe queue's bounds) and answers when all have. */
export function status(ctx: CommandContext, args: Paged): CommandOutcome {
  const { slice, next } = page(ctx.targets.store.list(), args.offset, STATUS_PAGE);
  return {
    reply: {},
    defer(answer) {
      const states: string[] = slice.map(() => 'unknown');
      let waiting = 0;
      const finish = (): void => answer(success({ targets: slice.map((t: Target, i) => ({ name: t.name, state: states[i]! })), next }));
      slice.forEach((target, i) => {
        if (!target.host) return;
        waiting++;
        ctx.targets.probes.probe(target.host, target.port, STATUS_PROBE_TIMEOUT_MS, (state) => {
          states[i] = state;
          if (--waiting === 0) finish();
        });
      });
      if (waiting === 0) finish();
    },
  };
}

export function schedulesList(ctx: CommandContext, args: Paged): CommandOutcome {
  return later(ctx, () => {
    const { slice, next } = page(ctx.targets.schedules.list(), args.offset, SCHEDULES_PAGE);
    return { reply: success({ schedules: slice.map(scheduleFields), next, clock_set: ctx.targets.clockSet(), max: ctx.targets.schedules.max }) };
  });
}

export function scheduleSet(ctx: CommandContext, args: Args<'schedule_set'>): CommandOutcome {
  return later(ctx, () => {
    let id: number;
    try {
      id = ctx.targets.schedules.set(args.schedule);
    } catch (error) {
      return refused(error, { max: ctx.targets.schedules.max });
    }
    return { reply: success({ result: 'schedule_saved', id, clock_set: ctx.targets.clockSet() }) };
  });
}

export function scheduleDelete(ctx: CommandContext, args: Args<'schedule_delete'>): CommandOutcome {
  return later(ctx, () => {
    if (!ctx.targets.schedules.delete(args.id)) return { reply: failure(ErrorCodes.SCHEDULE_NOT_FOUND, { id: args.id }) };
    return { reply: success({ result: 'schedule_deleted', id: args.id }) };
  });
}
