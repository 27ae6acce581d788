# Whisper's signal process, serving the built PWA. Used by docker-compose.yml (README, "Self-hosting").
#
# Node.js 22 LTS, the exact release the tests run the server on (tests/support/node22.sh), on glibc
# (Debian bookworm): uWebSockets.js's native core does not load on Alpine/musl, and the server refuses
# to start without it.

ARG NODE_IMAGE=node:22.23.5-bookworm-slim

# Build the app (vite) and the server (tsc) with the dev dependencies.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json tsconfig.json vite.config.ts ./
COPY signal ./signal
COPY web ./web
COPY sw ./sw
RUN npm run build

# The production dependencies alone, from the lock file. Optional ones go too: they are ws's
# accelerators for uWebSockets.js's JavaScript fallback, which the server never runs, and valibot's
# optional TypeScript peer.
FROM ${NODE_IMAGE} AS runtime-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
# uWebSockets.js ships its native core for every platform and Node.js ABI (over 180 MB); keep the
# one this image loads, and fail the build if there is none for it or it does not load here.
RUN core="uws_$(node -p 'process.platform + "_" + process.arch + "_" + process.versions.modules').node" \
 && find node_modules/uWebSockets.js -name '*.node' ! -name "$core" -delete \
 && test -f "node_modules/uWebSockets.js/$core" \
 && node -e "require('uWebSockets.js')"
# The folder the VAPID keys and the mailboxes of a process alone are kept in (DATA_DIR), owned by the
# unprivileged user: compose mounts a volume there, which starts with this folder's owner; the rest of
# the file system stays read-only.
RUN mkdir /data
FROM ${NODE_IMAGE}
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 STATIC_DIR=/app/dist DATA_DIR=/data
WORKDIR /app
# package.json carries "type": "module", which the compiled server needs.
COPY --from=runtime-deps /app/package.json ./
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=build /app/build/signal ./build/signal
COPY --from=build /app/dist ./dist
COPY --from=runtime-deps --chown=node:node /data /data
# The image's unprivileged user; the files above stay owned by root, so the process cannot change them.
USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The server handles SIGTERM itself: it stops accepting, asks clients to reconnect (1012) and exits.
# Node.js runs as PID 1 (exec form), so the signal reaches it directly.
STOPSIGNAL SIGTERM
CMD ["node", "build/signal/main.js"]
