# syntax=docker/dockerfile:1
# One image per service, the app chosen by a build argument:
#   docker build --build-arg APP=gateway-service -t ai-gateway/gateway-service .
# APP: key-service | auth-service | gateway-service | metering-service | demo-upstream.
# The runtime stage holds what scripts/image/assemble.mjs lays out (built output + production dependencies of
# that app only; key-service's also the web console's files in ./console); deploy/test/image.test.ts assembles
# the same folder and starts every service from it.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG APP
WORKDIR /src
ENV TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 npm_config_update_notifier=false
COPY . .
RUN test -n "$APP" || (echo "build with --build-arg APP=<service>" >&2; exit 1)
RUN npm ci --ignore-scripts --no-audit --no-fund
RUN npx turbo run build --filter="@gw/${APP}..." --output-logs=errors-only
RUN node scripts/image/assemble.mjs "$APP" /out

FROM ${NODE_IMAGE}
ARG APP
LABEL org.opencontainers.image.title="ai-gateway ${APP}" \
      org.opencontainers.image.source="https://github.com/example/ai-gateway"
# Containers listen on all interfaces: the public port 8080 and the admin port 9090 (probes, metrics, docs).
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 ADMIN_HOST=0.0.0.0 ADMIN_PORT=9090 \
    USAGE_SPOOL_DIR=/var/lib/gateway/spool
WORKDIR /app
COPY --from=build /out/ ./
# Runs as an unprivileged user; the only place it writes is the usage spool (a volume in Kubernetes).
RUN groupadd --system --gid 10001 gateway \
 && useradd --system --uid 10001 --gid gateway --home-dir /nonexistent --shell /usr/sbin/nologin gateway \
 && mkdir -p /var/lib/gateway/spool && chown -R 10001:10001 /var/lib/gateway
USER 10001:10001
EXPOSE 8080 9090
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["node", "healthcheck.js"]
# One-shot commands use the same image: node apps/key-service/dist/cli/migrate.js (key-service image),
# node apps/metering-service/dist/cli/migrate.js and .../cli/streams.js (metering-service image).
CMD ["node", "--enable-source-maps", "main.js"]
