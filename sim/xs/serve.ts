/**
 * Host side of the bridge: answers each request XS makes by calling the same Node adapters the
 * node engine uses, and turns their callbacks into events pushed back into XS.
 */
import type { Platform, Probe, TcpConnection, TcpListener, TimerHandle, UdpSocket, WebSocketClient } from '../../firmware/platform/types';
import { fromHex, toHex } from '../../shared/index';
import type { GuestRequest, HostEvent, HostReply, NetInfo } from './protocol';

export interface PlatformServerOptions {
  platform: Platform;
  /** Queue one event for XS (delivered in order). */
  push: (event: HostEvent) => void;
}

export class PlatformServer {
  private readonly listeners = new Map<number, TcpListener>();
  private readonly connections = new Map<number, TcpConnection>();
  private readonly udpSockets = new Map<number, UdpSocket>();
  private readonly webSockets = new Map<number, WebSocketClient>();
  private readonly timers = new Map<number, TimerHandle>();
  private readonly probes = new Map<number, Probe>();
  private nextConnection = 1;

  constructor(private readonly options: PlatformServerOptions) {}

  serve(text: string): HostReply {
    try {
      return { value: this.handle(JSON.parse(text) as GuestRequest) };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error), range: error instanceof RangeError };
    }
  }

  private handle(request: GuestRequest): unknown {
    const { platform, push } = this.options;
    switch (request.op) {
      case 'tcp.listen': {
        const { listener } = request;
        this.listeners.set(listener, platform.tcp.listen(request.port, (connection) => {
          const conn = this.nextConnection++;
          this.connections.set(conn, connection);
          push({ ev: 'tcp.accept', listener, conn, remoteAddress: connection.remoteAddress });
          return {
            data: (chunk) => push({ ev: 'tcp.data', conn, hex: toHex(chunk) }),
            end: () => push({ ev: 'tcp.end', conn }),
          };
        }));
        return undefined;
      }
      case 'tcp.unlisten':
        this.listeners.get(request.listener)?.close();
        this.listeners.delete(request.listener);
        return undefined;
      case 'tcp.write':
        this.connections.get(request.conn)?.write(request.hex !== undefined ? fromHex(request.hex) : request.text ?? '');
        return undefined;
      case 'tcp.close':
        this.connections.get(request.conn)?.close();
        this.connections.delete(request.conn);
        return undefined;
      case 'probe.start': {
        const { probe } = request;
        this.probes.set(probe, platform.probe.probe(request.host, request.port, request.timeoutMs, (state) => {
          this.probes.delete(probe);
          push({ ev: 'probe.done', probe, state });
        }));
        return undefined;
      }
      case 'probe.cancel':
        this.probes.get(request.probe)?.cancel();
        this.probes.delete(request.probe);
        return undefined;
      case 'udp.open':
        this.udpSockets.set(request.socket, platform.udp.open(request.localPort));
        return undefined;
      case 'udp.send': {
        const socket = this.udpSockets.get(request.socket);
        if (socket === undefined) throw new Error('UDP socket is closed');
        socket.send(fromHex(request.hex), request.address, request.port);
        return undefined;
      }
      case 'udp.close':
        this.udpSockets.get(request.socket)?.close();
        this.udpSockets.delete(request.socket);
        return undefined;
      case 'ws.connect': {
        const { ws } = request;
        const options = { url: request.url, headers: request.headers, verifyTls: request.verifyTls };
        this.webSockets.set(ws, platform.websocket.connect(request.protocol === undefined ? options : { ...options, protocol: request.protocol }, {
          open: () => push({ ev: 'ws.open', ws }),
          message: (text) => push({ ev: 'ws.message', ws, text }),
          pong: () => push({ ev: 'ws.pong', ws }),
          close: () => {
            this.webSockets.delete(ws);
            push({ ev: 'ws.close', ws });
          },
        }));
        return undefined;
      }
      case 'ws.send':
        this.webSockets.get(request.ws)?.send(request.text);
        return undefined;
      case 'ws.ping':
        return this.webSockets.get(request.ws)?.ping() ?? true;
      case 'ws.close':
        this.webSockets.get(request.ws)?.close();
        this.webSockets.delete(request.ws);
        return undefined;
      case 'timer.set': {
        const { timer } = request;
        const fire = (): void => {
          if (!request.repeat) this.timers.delete(timer);
          push({ ev: 'timer', timer });
        };
        this.timers.set(timer, request.repeat ? platform.timers.setInterval(fire, request.ms) : platform.timers.setTimeout(fire, request.ms));
        return undefined;
      }
      case 'timer.clear': {
        const handle = this.timers.get(request.timer);
        this.timers.delete(request.timer);
        if (handle !== undefined) platform.timers.clearInterval(handle);
        return undefined;
      }
      case 'store.get':
        return platform.store.get(request.key);
      case 'store.set':
        platform.store.set(request.key, request.value);
        return undefined;
      case 'store.delete':
        platform.store.delete(request.key);
        return undefined;
      case 'clock':
        return { uptimeMs: platform.clock.uptimeMs(), nowSeconds: platform.clock.nowSeconds() };
      case 'random':
        if (!Number.isInteger(request.length) || request.length < 0 || request.length > 4096) throw new RangeError('random length must be 0..4096');
        return toHex(platform.random.bytes(request.length));
      case 'net.info': {
        const { network } = platform;
        const info: NetInfo = {
          ip: network.ip(), ssid: network.ssid(), rssi: network.rssi(), mode: network.mode(), chipId: network.chipId(), freeHeap: network.freeHeap(),
        };
        return info;
      }
      case 'net.connectStation':
        platform.network.connectStation(request.ssid, request.password, (ok) => push({ ev: 'net.callback', callback: request.callback, ok }));
        return undefined;
      case 'net.startAccessPoint':
        platform.network.startAccessPoint(request.ssid, request.password, (ip) => push({ ev: 'net.callback', callback: request.callback, ip }));
        return undefined;
      case 'net.onStationLost':
        platform.network.onStationLost(() => push({ ev: 'net.callback', callback: request.callback }));
        return undefined;
      case 'log':
        platform.logger.log(request.level, request.message);
        return undefined;
      case 'system.restart':
        platform.system.restart();
        return undefined;
      default:
        throw new Error(`unknown request ${(request as { op: string }).op}`);
    }
  }
}
