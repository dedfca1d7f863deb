# Lectern: one process serving the app, the API and the browser files; data on the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    LECTERN_DATA_DIR=/data LECTERN_HOST=0.0.0.0 LECTERN_PORT=8000 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# OCR, PDF rendering and the Unicode font for generated PDFs; Node only to install the browser libraries.
# LibreOffice draws slides as designed; --build-arg WITH_LIBREOFFICE=false leaves it out (a smaller image,
# slides then get a text rendering).
ARG WITH_LIBREOFFICE=true
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng poppler-utils fonts-dejavu-core \
       nodejs npm curl \
    && if [ "$WITH_LIBREOFFICE" = "true" ]; then apt-get install -y --no-install-recommends libreoffice-impress-nogui; fi \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt package.json package-lock.json ./
# The CPU build of torch (the default wheel on PyPI is the multi-GB CUDA build).
RUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu -r requirements.txt \
    && npm ci --omit=dev --no-audit --no-fund \
    && apt-get purge -y npm && apt-get autoremove -y

COPY . .
RUN useradd --create-home --uid 1000 lectern && mkdir -p /data && chown lectern:lectern /data
USER lectern
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8000/api/health || exit 1
CMD ["python", "main.py"]
