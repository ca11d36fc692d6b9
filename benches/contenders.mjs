// The contenders as a user would set them up: authlane, plain fetch, axios with
// axios-auth-refresh and jwt-decode (the hand-built stack of the seed articles), ky with
// jwt-decode; and fetch with the signal and timer a timeout needs. Each returns `request(url)`,
// which completes one request including its body.
import axios from 'axios';
import createAuthRefreshInterceptor from 'axios-auth-refresh';
import { jwtDecode } from 'jwt-decode';
import ky from 'ky';
import { createAuthClient } from '../pkg/inline/index.js';
import { fetchWithTimeoutSignal } from './lib.mjs';

export async function contenders(server, tokens) {
  const session = { ...tokens };
  const refreshTokens = async () => {
    const r = await fetch(`${server.url}/refresh`, { method: 'POST', body: JSON.stringify({ refreshToken: session.refreshToken }) });
    Object.assign(session, await r.json());
  };
  const expiringSoon = () => jwtDecode(session.accessToken).exp * 1000 - Date.now() < 60_000;

  const client = await createAuthClient({ baseUrl: server.url, refresh: { url: '/refresh' } });
  await client.login(tokens);

  const instance = axios.create({ baseURL: server.url });
  instance.interceptors.request.use(async (config) => {
    if (expiringSoon()) await refreshTokens();
    config.headers.Authorization = `Bearer ${session.accessToken}`;
    return config;
  });
  createAuthRefreshInterceptor(instance, async (failed) => {
    await refreshTokens();
    failed.response.config.headers.Authorization = `Bearer ${session.accessToken}`;
  });

  const api = ky.create({
    prefixUrl: server.url,
    retry: 0,
    hooks: {
      beforeRequest: [async (request) => {
        if (expiringSoon()) await refreshTokens();
        request.headers.set('authorization', `Bearer ${session.accessToken}`);
      }],
      afterResponse: [async (request, options, response) => {
        if (response.status !== 401) return response;
        await refreshTokens();
        request.headers.set('authorization', `Bearer ${session.accessToken}`);
        return ky(request, { retry: 0 });
      }],
    },
  });

  return {
    client,
    request: {
      fetch: async (path) => (await fetch(server.url + path, { headers: { authorization: `Bearer ${session.accessToken}` } })).text(),
      // What any wrapper whose timeout really cancels adds: how much of authlane's overhead is that.
      'fetch + signal and 60 s timer': (path) => fetchWithTimeoutSignal(server.url + path, { headers: { authorization: `Bearer ${session.accessToken}` } }),
      authlane: async (path) => (await client.fetch(path)).text(),
      'axios + axios-auth-refresh': async (path) => (await instance.get(path)).data,
      ky: async (path) => api.get(path.slice(1)).text(),
    },
  };
}
