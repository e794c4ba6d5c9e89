/** Runs one validated command of spec 5.1 and builds its v1.0 reply (field order matters). */
import { ErrorCodes, formatMac, type ControlAction, type ParsedCommand } from '../../shared/index';
import { OTA_WINDOW_MS, REQUEST_LIMIT } from '../constants';
import { failure, success, type Transport } from '../replies';
import type { CommandContext, CommandOutcome } from './context';
import {
  scheduleDelete, scheduleSet, schedulesList, status, targetDelete, targetSet, targetsList, wakeResult, wakeTarget, watchByMac,
} from './targets';
import { WOL_SEND_FAILED } from './wol-errors';

export { WOL_SEND_FAILED };

function keyInfo(counter: number): string {
  // The lock-out of v1.0 is gone (B2), so the status stays ACTIVE past the nominal limit.
  return `SECURE|REQUESTS:${counter}/${REQUEST_LIMIT}|STATUS:ACTIVE`;
}

function info(ctx: CommandContext): CommandOutcome {
  const net = ctx.network();
  return {
    reply: success({
      device_id: ctx.deviceId,
      ip: net.mode === 'AP' ? '0.0.0.0' : net.ip,
      ssid: net.ssid,
      rssi: net.rssi,
      request_counter: ctx.counter.value,
      crypto_enabled: true,
      mode: net.mode,
      web_enabled: ctx.webEnabled(),
      cloud_enabled: ctx.cloudEnabled(),
      cloud_status: ctx.cloudStatus(),
      free_heap: net.freeHeap,
    }),
  };
}

function webControl(ctx: CommandContext, action: ControlAction): CommandOutcome {
  const mode = ctx.network().mode;
  if (action === 'status') return { reply: success({ web_enabled: ctx.webEnabled(), mode }) };
  if (action === 'enable') {
    ctx.setWebEnabled(true);
    return { reply: success({ result: 'web_enabled' }) };
  }
  if (mode === 'AP') {
    return { reply: failure(ErrorCodes.CANNOT_DISABLE_IN_AP_MODE, { message: 'Web server cannot be disabled in Access Point mode' }) };
  }
  ctx.setWebEnabled(false);
  return { reply: success({ result: 'web_disabled' }) };
}

function cloudControl(ctx: CommandContext, action: ControlAction, transport: Transport): CommandOutcome {
  if (action === 'status') return { reply: success({ cloud_enabled: ctx.cloudEnabled(), cloud_status: ctx.cloudStatus() }) };
  if (action === 'enable') {
    ctx.setCloudEnabled(true);
    return { reply: success({ result: 'cloud_enabled', cloud_status: ctx.cloudStatus() }) };
  }
  ctx.setCloudEnabled(false);
  // Over the cloud the reply must leave on the link before it is closed (B6).
  if (transport === 'ws') return { reply: success({ result: 'cloud_disabled' }), after: () => ctx.stopCloud() };
  ctx.stopCloud();
  return { reply: success({ result: 'cloud_disabled' }) };
}

function wake(ctx: CommandContext, args: Extract<ParsedCommand['args'], { command: 'wake' }>): CommandOutcome {
  if (args.target !== undefined) return wakeTarget(ctx, args.target);
  try {
    ctx.sendWake(args.macBytes, args.secureOn);
  } catch {
    return { reply: failure(WOL_SEND_FAILED, { mac: args.mac }) };
  }
  // The reply is v1.0's, byte for byte; a confirmation of a known target comes as an event.
  watchByMac(ctx, formatMac(args.macBytes));
  return { reply: success({ result: 'wol_sent', mac: args.mac }) };
}

export function dispatchCommand(ctx: CommandContext, command: ParsedCommand, transport: Transport): CommandOutcome {
  const args = command.args;
  switch (args.command) {
    case 'ping':
      return { reply: success({ result: 'pong' }) };
    case 'wake':
      return wake(ctx, args);
    case 'info':
      return info(ctx);
    case 'restart':
      return { reply: success({ result: 'restarting', message: 'Device will restart in 1ms' }), after: () => ctx.restartSoon() };
    case 'ota_start':
      ctx.startOtaWindow();
      return { reply: success({ result: 'ota_ready', timeout: OTA_WINDOW_MS }) };
    case 'open_setup': {
      const ap = ctx.setupAccessPoint();
      return { reply: success({ result: 'ap_started', ssid: ap.ssid, ip: ap.ip }), after: () => ctx.enterSetupMode() };
    }
    case 'web_control':
      return webControl(ctx, args.action);
    case 'cloud_control':
      return cloudControl(ctx, args.action, transport);
    case 'crypto_info':
      return {
        reply: success({ enabled: true, request_counter: ctx.counter.value, request_limit: REQUEST_LIMIT, key_info: keyInfo(ctx.counter.value) }),
      };
    case 'counter_info':
      return { reply: success({ request_counter: ctx.counter.value, request_limit: REQUEST_LIMIT }) };
    case 'reset_counter':
      ctx.counter.reset();
      return { reply: success({ result: 'counter_reset' }) };
    case 'update_token': {
      const token = ctx.generateToken();
      return {
        reply: success({ result: 'token_updated', new_token: token, message: 'Token updated. Device will restart in 1ms.' }),
        after: () => ctx.commitToken(token),
      };
    }
    case 'targets_list': return targetsList(ctx, args);
    case 'target_set': return targetSet(ctx, args);
    case 'target_delete': return targetDelete(ctx, args);
    case 'status': return status(ctx, args);
    case 'wake_result': return wakeResult(ctx, args);
    case 'schedules_list': return schedulesList(ctx, args);
    case 'schedule_set': return scheduleSet(ctx, args);
    case 'schedule_delete': return scheduleDelete(ctx, args);
  }
}
