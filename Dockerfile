# Production image: one definition for the web, worker and beat services.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HCSMCA_VAR_DIR=/app/var

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY hcsmca ./hcsmca
COPY chats ./chats
COPY summaries ./summaries
COPY tools ./tools
RUN pip install -c constraints.txt .
COPY manage.py ./
COPY templates ./templates
COPY static ./static

# Static files are collected into the image; WhiteNoise serves them hashed.
RUN DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --home /app hcsmca \
    && mkdir -p /app/var/media && chown -R hcsmca /app/var
USER hcsmca

EXPOSE 8000
CMD ["gunicorn", "hcsmca.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
