import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';

/** OpenAPI document from the route schemas, and the UI at /docs (JSON at /docs/json). */
export const docsPlugin = fp(async (app) => {
  await app.register(swagger, {
    openapi: {
      info: { title: 'WakeLink-XS relay', version: '1.0', description: 'Blind relay, wire-compatible with WakeLink v1.0' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: '`sk-…` API token or JWT from /auth/login' },
          apiToken: { type: 'apiKey', in: 'header', name: 'X-API-Token' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
});
