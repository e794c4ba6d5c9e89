/** Sets up a fresh relay through its public API: one account, its API token, and its devices. */
import { JsonClient, postOk } from './http';
import { openMany } from './sockets';

const REGISTER_CONCURRENCY = 16;

export interface BenchAccount {
  token: string;
  deviceIds: string[];
}

export async function createAccount(port: number, username: string, deviceIds: string[]): Promise<BenchAccount> {
  const anonymous = new JsonClient(port);
  const body = await postOk(anonymous, '/auth/register', { username, password: 'bench-password-123' });
  anonymous.close();
  const token = body.api_token;
  if (typeof token !== 'string') throw new Error('register did not return an api_token');
  const clients = Array.from({ length: REGISTER_CONCURRENCY }, () => new JsonClient(port, token));
  const { error } = await openMany(deviceIds.length, REGISTER_CONCURRENCY, (i) =>
    postOk(clients[i % REGISTER_CONCURRENCY]!, '/api/register_device', { device_id: deviceIds[i] }));
  for (const client of clients) client.close();
  if (error) throw error;
  return { token, deviceIds };
}
