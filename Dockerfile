# One image for web, worker and beat (docker-compose.yml). Same Debian packages as ./dvk.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DVK_VAR_DIR=/app/var \
    PUBLIC_BASE_URL=""
# PUBLIC_BASE_URL must be given at run time (docker run -e PUBLIC_BASE_URL=https://…): the
# QR codes on certificates carry it; with DEBUG off gunicorn and the worker refuse to start
# while it is empty or a loopback address.

WORKDIR /app

COPY scripts/apt-packages.txt scripts/apt-packages.txt
RUN apt-get update \
    && sed -e '/^# --- test only/,$d' -e 's/#.*//' -e '/^[[:space:]]*$/d' scripts/apt-packages.txt \
        | xargs apt-get install -y --no-install-recommends \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN pip install .

COPY . .
RUN msgfmt --check -o locale/vi/LC_MESSAGES/django.mo locale/vi/LC_MESSAGES/django.po \
    && python manage.py collectstatic --noinput -v 0 \
    && useradd --system --home-dir /app dvk \
    && mkdir -p /app/var/media \
    && chown -R dvk /app/var

USER dvk
EXPOSE 8000
# The worker model (3 sync workers, WEB_CONCURRENCY to change) is in config/gunicorn.conf.py.
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--config", "config/gunicorn.conf.py", "--access-logfile", "-"]
