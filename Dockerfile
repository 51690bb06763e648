# ardary-bridge: a build stage compiles dist/, the final stage holds the runtime dependencies
# only (npm ci --omit=dev) and runs as the unprivileged `node` user.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund --ignore-scripts && npx patch-package
COPY . .
RUN npm run build

FROM node:22-bookworm-slim
ENV NODE_ENV=production PORT=3000 DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
COPY bin ./bin
COPY migrations ./migrations
COPY patches ./patches
COPY --from=build /app/dist ./dist
# postinstall applies patches/ (patch-package is a runtime dependency for that); the prepare
# step finds dist/ built and esbuild absent: it keeps dist/ as it is.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force \
  && mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--max-semi-space-size=8", "--max-old-space-size=256", "bin/ardary-bridge.js", "serve"]
