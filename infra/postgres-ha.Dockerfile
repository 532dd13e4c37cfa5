# PostgreSQL 15 + PostGIS with pg_auto_failover (the monitor and the data nodes of
# docker-compose.yml). Build context: the repository root.
# PostgreSQL 15: the version the failover drill (tests/fault/test_failover.py) runs, with the
# same pg_auto_failover 2.0 packages (PGDG's, as the image's apt sources are).
FROM postgis/postgis:15-3.4

RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-15-auto-failover pg-auto-failover-cli \
    && rm -rf /var/lib/apt/lists/*

COPY infra/postgres-ha/entrypoint.sh /usr/local/bin/tanggap-pg-ha

# Everything pg_autoctl keeps (its configuration and the keeper's state) lives on the volume
# beside PGDATA, so a restarted container resumes its role.
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data/pgdata \
    XDG_CONFIG_HOME=/var/lib/postgresql/data/config \
    XDG_DATA_HOME=/var/lib/postgresql/data/share \
    HOME=/var/lib/postgresql
USER postgres
EXPOSE 5432
ENTRYPOINT ["tanggap-pg-ha"]
