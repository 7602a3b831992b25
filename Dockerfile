# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --upgrade pip && pip install .
COPY . .
RUN DJANGO_DEBUG=1 python manage.py collectstatic --noinput --verbosity 0
RUN useradd --create-home channelhub && mkdir -p /data/media && chown channelhub /data/media
USER channelhub
EXPOSE 8000
CMD ["gunicorn", "channelhub.wsgi", "--bind", "0.0.0.0:8000", "--workers", "5"]
