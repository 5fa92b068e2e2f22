# fedbot's image: Python 3.11 slim, the dependencies pinned with hashes (requirements.lock), a
# non-root user, /healthz as the health check. Not built on the development machine (no
# Docker daemon there): docs/operations.md says so. Build and run:
#   docker build -t fedbot . && docker run --env-file .env -v fedbot-data:/data fedbot
# or `docker compose up` (compose.yaml: the bot and PostgreSQL 15).

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/fedbot
# Exactly the locked versions, each checked against its hash; nothing resolved at build time.
COPY requirements.lock /tmp/requirements.lock
RUN /opt/fedbot/bin/pip install --require-hashes --no-deps -r /tmp/requirements.lock
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY commands ./commands
COPY fedbot ./fedbot
RUN /opt/fedbot/bin/pip install --no-deps .

FROM python:3.11-slim
LABEL org.opencontainers.image.title="fedbot" \
      org.opencontainers.image.description="The federation's community bot (Slack, Discord)"
RUN groupadd --system --gid 10001 fedbot \
 && useradd --system --uid 10001 --gid fedbot --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin fedbot \
 && install -d -o fedbot -g fedbot -m 0700 /data
COPY --from=build /opt/fedbot /opt/fedbot
# The default config: [http] on 0.0.0.0:8080 (the health check below needs it), JSON logs.
# Mount your own file over it (compose.yaml does), keeping [http] enabled.
COPY deploy/fedbot.toml /etc/fedbot/fedbot.toml
# SQLite (when FEDBOT_DATABASE_URL is not set) lives in the volume: /data/fedbot/fedbot.db.
ENV PATH=/opt/fedbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    FEDBOT_CONFIG=/etc/fedbot/fedbot.toml \
    XDG_DATA_HOME=/data \
    FEDBOT_HEALTH_URL=http://127.0.0.1:8080/healthz
VOLUME ["/data"]
EXPOSE 8080
USER fedbot
WORKDIR /data
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=4)" "$FEDBOT_HEALTH_URL"
# `docker stop` sends SIGTERM and waits 10 s: fedbot stops within that, connecting included.
STOPSIGNAL SIGTERM
ENTRYPOINT ["fedbot"]
CMD ["run"]
