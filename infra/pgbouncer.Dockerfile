# PgBouncer 1.18 from Debian 12's apt, with infra/pgbouncer/pgbouncer.ini: the `pgbouncer-a` and
# `pgbouncer-b` services of docker-compose.yml, one in front of each database node. Build
# context: the repository root.
FROM debian:bookworm-slim

# postgresql-client: pg_isready for the healthcheck.
RUN apt-get update \
    && apt-get install -y --no-install-recommends pgbouncer postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && install -d -o postgres -g postgres /var/run/postgresql /etc/pgbouncer

COPY infra/pgbouncer/pgbouncer.ini /etc/pgbouncer/pgbouncer.ini.shipped
COPY infra/pgbouncer/entrypoint.sh /usr/local/bin/tanggap-pgbouncer

USER postgres
EXPOSE 6432
ENTRYPOINT ["tanggap-pgbouncer"]
