# Lectern: `make run` serves the app, `make test` runs the whole suite. Both set up what is missing first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .setup-stamps
APT_PACKAGES := tesseract-ocr tesseract-ocr-eng poppler-utils chromium fonts-dejavu-core libreoffice-impress-nogui
# On these machines the CPU build of torch lies in /opt/wheels; elsewhere pip uses PyPI.
PIP_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)

.PHONY: setup system-packages run test lint format bench clean-setup

setup: system-packages $(STAMPS)/python $(STAMPS)/node

# Debian packages (OCR, PDF rendering, the browser for tests, the PDF font, LibreOffice to draw slides);
# installed when root.
system-packages:
	@missing=""; \
	for cmd in tesseract:tesseract-ocr pdftoppm:poppler-utils chromium:chromium soffice:libreoffice-impress-nogui; do \
	  command -v $${cmd%%:*} >/dev/null 2>&1 || missing="$$missing $${cmd##*:}"; done; \
	[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$$missing fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES) >/dev/null; \
	  else echo "WARNING: missing system packages:$$missing (install them as root: apt-get install $(APT_PACKAGES))"; fi; \
	fi

$(STAMPS)/python: requirements.txt requirements-dev.txt
	@mkdir -p $(STAMPS)
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check $(PIP_LINKS) -r requirements-dev.txt
	@touch $@

$(STAMPS)/node: package.json package-lock.json
	@mkdir -p $(STAMPS)
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: setup
	$(PY) main.py

test: setup
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

bench: setup
	$(PY) bench/review_load.py

clean-setup:
	rm -rf $(STAMPS) $(VENV) node_modules
