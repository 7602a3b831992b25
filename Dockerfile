# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim
# The PostgreSQL major version of the server (docker-compose.yml passes the same
# PG_MAJOR to both): `manage.py backup` needs a pg_dump at least as new as the server,
# and Debian's own client is older, so it comes from the PostgreSQL project's
# Debian repository, set up by Debian's postgresql-common script.
ARG PG_MAJOR=16
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# g++: for any dependency that ships no wheel for this platform and builds from source.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-common ca-certificates g++ \
    && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \
    && apt-get install -y --no-install-recommends "postgresql-client-${PG_MAJOR}" \
    && pg_dump --version | grep -q " ${PG_MAJOR}\." \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml constraints.txt ./
RUN pip install --upgrade pip && pip install -c constraints.txt .
COPY . .
RUN DJANGO_DEBUG=1 python manage.py collectstatic --noinput --verbosity 0
RUN useradd --create-home channelhub && mkdir -p /data/media && chown channelhub /data/media
USER channelhub
EXPOSE 8000
CMD ["gunicorn", "channelhub.wsgi", "--bind", "0.0.0.0:8000", "--workers", "5"]
