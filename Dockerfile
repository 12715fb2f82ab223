# Phresh Live as a container. The build stage makes the production install (npm ci --omit=dev, whose prepare
# step builds the dashboard with vite, a runtime dependency for that reason); the final stage carries only that
# install and runs it as the unprivileged `node` user, on the Node.js 24 that package.json pins.
#   docker build -t phresh-live .
#   docker run -p 3000:3000 -v phresh-data:/data phresh-live
# For several nodes pass DATABASE_URL, REDIS_URL and SECRET_KEY (see .env.example).

FROM node:24-bookworm-slim AS build
WORKDIR /app
ENV NODE_ENV=production
COPY . .
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    LOG_FORMAT=json \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build /app /app
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# npm forwards SIGTERM to the server, which then finishes its in-flight work (SHUTDOWN_GRACE_MS).
CMD ["npm", "start"]
