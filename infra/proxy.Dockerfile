# The reverse proxy image: Caddy with the built PWA and infra/caddy/Caddyfile.
# Build context: the repository root (docker-compose.yml builds it).
FROM node:22-alpine AS pwa
WORKDIR /pwa
COPY pwa/package.json pwa/package-lock.json pwa/.npmrc* ./
RUN npm ci --no-audit --no-fund
COPY pwa/ ./
RUN npm run build

FROM caddy:2-alpine
COPY infra/caddy/Caddyfile /etc/caddy/Caddyfile
COPY --from=pwa /pwa/dist /srv/pwa
