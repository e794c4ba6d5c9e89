import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { WS_FRAME_SCHEMAS, websocketPaths } from './websocket-docs';

/**
 * OpenAPI document from the route schemas, and the UI at /docs (JSON at /docs/json). Only tagged
 * routes appear: the JSON API. The dashboard's HTML pages carry no tags and stay out. The two
 * WebSocket endpoints and their frames are added from websocket-docs.ts.
 */
export const docsPlugin = fp(async (app) => {
  await app.register(swagger, {
    hideUntagged: true,
    openapi: {
      info: {
        title: 'WakeLink-XS relay', version: '1.0',
        description: 'Blind relay, wire-compatible with WakeLink v1.0. Every error is `{"error": CODE, "detail": text}` '
          + '(validation errors add `errors`); request bodies are JSON only.',
      },
      tags: [
        { name: 'auth', description: 'Accounts and login' },
        { name: 'tokens', description: 'API tokens' },
        { name: 'devices', description: 'v1.0 device management' },
        { name: 'relay', description: 'v1.0 HTTP push and long-poll pull' },
        { name: 'endpoints', description: 'Endpoints (boards, apps, CLIs, hosts, browsers) with live presence, and the history (audit log)' },
        { name: 'claim', description: 'Claiming a board with its 6-digit code, and per-device credentials (revoke; rotate = revoke + claim again)' },
        { name: 'health', description: 'Health and statistics' },
        { name: 'websocket', description: 'Device and client WebSockets (upgrade requests; frames in x-websocket-frames and components)' },
      ],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: '`Authorization: Bearer <sk-… API token or JWT from /auth/login>`' },
          apiToken: { type: 'apiKey', in: 'header', name: 'X-API-Token', description: 'The same token in the v1.0 header' },
        },
      },
    },
    transformObject: (documentObject) => {
      // The typings allow a Swagger 2 object too; this plugin builds OpenAPI 3 only.
      if (!('openapiObject' in documentObject)) return documentObject.swaggerObject;
      const document = documentObject.openapiObject;
      const components = { ...document.components, schemas: { ...document.components?.schemas, ...structuredClone(WS_FRAME_SCHEMAS) } };
      return { ...document, components, paths: { ...document.paths, ...websocketPaths() } } as unknown as typeof document;
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
});
