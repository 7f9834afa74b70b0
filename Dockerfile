# srm-bot: the Slack app + scheduler in one process (`srm serve`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SRM_DB=/data/srm.db \
    SRM_PORT=3000 \
    SRM_CACHE_DIR=/app/.cache

WORKDIR /app
COPY pyproject.toml README.md manifest.yml ./
COPY bot ./bot
COPY checks ./checks
COPY data ./data
# editable install: the code finds data/*.yml (and `srm doctor` manifest.yml) next to it in /app
# building the resolver once writes the parsed data and the data's normal forms to SRM_CACHE_DIR, so the first start
# of a container reads them back (~150 ms) instead of parsing every data file (~600 ms)
RUN pip install -e . \
 && useradd --system --uid 10001 --home-dir /app srm \
 && mkdir -p /data && chown srm /data \
 && python -c "from bot.resolver import default_resolver; default_resolver()" \
 && chown -R srm /app/.cache

USER srm
# The SQLite file (state, incidents, audit trail) lives here: mount a volume and back it up.
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('SRM_PORT', '3000'), timeout=2)" || exit 1
CMD ["srm", "serve"]
