# WakeLink-XS relay image: a production install (runtime dependencies only, prebuilt JavaScript),
# running as the unprivileged `node` user, with its database and secret on the /data volume.
#
#   docker build -t wakelink-relay .
#   docker run -d --name wakelink -p 127.0.0.1:9009:9009 -v wakelink-data:/data \
#     -e SECRET_KEY="$(openssl rand -hex 32)" wakelink-relay
#
# Keep the port on 127.0.0.1 and put a TLS reverse proxy in front (deploy/nginx.conf,
# deploy/Caddyfile); then add -e TRUST_PROXY=<the proxy's address as the container sees it>.

# Stage 1: install runtime dependencies (better-sqlite3 compiles here) and build dist/ (prepare).
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/ scripts/
COPY shared/ shared/
COPY server/ server/
COPY node/ node/
COPY cli/ cli/
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# Stage 2: what runs. No compiler, no TypeScript sources, no dev packages.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    API_ENV=production \
    HOST=0.0.0.0 \
    CLOUD_PORT=9009 \
    DATABASE_FILE=/data/wakelink.db \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json /app/package-lock.json ./
COPY --from=build --chown=root:root /app/node_modules/ node_modules/
COPY --from=build --chown=root:root /app/dist/ dist/
COPY --from=build --chown=root:root /app/scripts/ scripts/
COPY --from=build --chown=root:root /app/cli/bin.mjs cli/bin.mjs
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 9009
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.CLOUD_PORT || 9009) + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `npm start` execs node, so the SIGTERM of `docker stop` reaches the relay: it closes sockets
# with 1012, finishes queued writes, checkpoints the database and exits 0 (within 10 s).
STOPSIGNAL SIGTERM
CMD ["npm", "start"]
