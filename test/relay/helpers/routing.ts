import { api } from './http';
import { WsProbe, connectClient, connectDevice } from './ws';

/** Registers a non-board endpoint over REST; returns its view. */
export async function createEndpoint(base: string, token: string, body: Record<string, unknown>): Promise<any> {
  const res = await api(base, 'POST', '/api/endpoints', { token, body });
  if (res.status !== 201) throw new Error(`POST /api/endpoints failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A board: registers the device (if needed) and opens its socket; returns the probe and its endpoint id. */
export async function connectBoard(base: { http: string; ws: string }, token: string, deviceId: string): Promise<{ probe: WsProbe; endpoint: string }> {
  const registered = await api(base.http, 'POST', '/api/register_device', { token, body: { device_id: deviceId, device_data: { name: `board ${deviceId}` } } });
  if (registered.status !== 200) throw new Error(`register_device failed: ${registered.status}`);
  const { probe, welcome } = await connectDevice(base.ws, deviceId, token);
  if (welcome.type !== 'welcome') throw new Error(`no welcome: ${JSON.stringify(welcome)}`);
  const endpoint = (await api(base.http, 'GET', `/api/endpoints/${deviceId}`, { token })).body.id as string;
  return { probe, endpoint };
}

/** A client socket; with `subscribe`, subscribes and returns the `subscribed` answer too. */
export async function connectSubscriber(wsBase: string, clientId: string, token: string, subscribe?: unknown): Promise<{ probe: WsProbe; welcome: any; subscribed: any }> {
  const { probe, welcome } = await connectClient(wsBase, clientId, token);
  let subscribed: any = null;
  if (subscribe !== undefined) {
    probe.send({ type: 'subscribe', endpoints: subscribe });
    subscribed = await probe.next();
    if (subscribed.type !== 'subscribed') throw new Error(`subscribe refused: ${JSON.stringify(subscribed)}`);
  }
  return { probe, welcome, subscribed };
}

/** The next frame, which must be of this type (anything else fails the test with what came instead). */
export async function expectFrame(probe: WsProbe, type: string, timeoutMs = 3000): Promise<any> {
  const frame = await probe.next(timeoutMs);
  if (frame.type !== type) throw new Error(`expected a ${type} frame, got ${JSON.stringify(frame)}`);
  return frame;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
