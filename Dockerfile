# syntax=docker/dockerfile:1
# Kizuna news-monitoring service (ENGINEERING.md §10).
# Build:  docker build -t kizuna .
# Run:    docker run --init -v kizuna-data:/data --env-file .env kizuna
# lxml, Twisted, cryptography and psycopg-binary install from manylinux wheels,
# so no compiler or -dev packages (and no apt-get) are needed.

# ---------------------------------------------------------------- build stage
FROM python:3.11-slim-bookworm AS build

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
COPY pyproject.toml README.md ./
COPY config ./config
COPY storage ./storage
COPY matching ./matching
COPY alerts ./alerts
COPY spiders ./spiders
COPY scheduler ./scheduler
COPY kizuna ./kizuna
# The scrapyd extra lets the same image run as a Scrapyd crawl node (compose profile
# "scrapyd"; README, Deployment).
RUN pip install --no-cache-dir "./[scrapyd]"

# -------------------------------------------------------------- runtime stage
FROM python:3.11-slim-bookworm AS runtime

LABEL org.opencontainers.image.title="kizuna" \
      org.opencontainers.image.description="News monitoring and alerting for the Japan–Lao PDR Comprehensive Strategic Partnership" \
      org.opencontainers.image.licenses="Apache-2.0"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    KIZUNA_DATABASE_URL=sqlite:////data/kizuna.db \
    KIZUNA_VAR_DIR=/data

# Numeric, non-root user (hadolint DL3066); -l avoids a huge lastlog with a high UID (DL3046).
RUN groupadd --system --gid 10001 kizuna \
    && useradd --system --uid 10001 --gid 10001 -l --no-create-home \
       --home-dir /app --shell /usr/sbin/nologin kizuna \
    && mkdir -p /app /data \
    && chown 10001:10001 /app /data

COPY --from=build /opt/venv /opt/venv
# Read by `scrapyd` when the image runs as a crawl node; unused by `kizuna run`.
COPY deploy/scrapyd/scrapyd.conf /etc/scrapyd/scrapyd.conf

WORKDIR /app
USER 10001:10001
VOLUME ["/data"]

# `kizuna health` reads the scheduler heartbeat and exits non-zero if stale or failing.
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s CMD ["kizuna", "health"]

# `kizuna run` handles SIGTERM: it stops scheduling, gives running crawls
# KIZUNA_SHUTDOWN_GRACE seconds, stops them, and exits 0; allow it that long plus ~10 s
# (compose: stop_grace_period). Run with --init (compose: `init: true`) so crawl children
# are reaped.
STOPSIGNAL SIGTERM
ENTRYPOINT ["kizuna"]
CMD ["run"]
