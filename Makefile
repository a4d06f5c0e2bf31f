# Readout: `make run` serves the demo, `make test` runs the whole suite. Both do all set-up themselves.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
JOBS ?= 2
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev static collectstatic migrate demo bench clean

$(VENV)/bin/activate:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Readout needs $(PYTHON) on PATH (set PYTHON=... to use another 3.11 interpreter)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

static/vendor/.stamp: package.json package-lock.json scripts/vendor.js
	@command -v npm >/dev/null 2>&1 || { echo "Readout needs Node.js and npm to install its front-end packages (Chart.js; axe-core for the accessibility tests)."; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	node scripts/vendor.js
	touch $@

static: static/vendor/.stamp

# The release's static build (docs/deploy.md) with WhiteNoise's compressed manifest storage, which fails on any file
# that a CSS or JS file names but the build lacks (pages in development use the plain storage and never notice).
# Writes to the directory in STATIC_ROOT, default staticfiles/; collectstatic uses neither the secret nor the hosts.
collectstatic: install static
	DJANGO_ENV=production SECRET_KEY=build ALLOWED_HOSTS=build $(PY) manage.py collectstatic --noinput

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate static
	$(PY) manage.py load_demo
	$(PY) manage.py ensure_demo_admin --site http://$(HOST):$(PORT)

run: demo
	@echo "Serving Readout on http://$(HOST):$(PORT)/"
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install-dev static
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "NOTE: /usr/bin/chromium is missing, so the browser tests will be SKIPPED."; \
		echo "      Install it with: apt-get install -y chromium"; fi
	$(PY) -m pytest -n $(JOBS) $(PYTEST_ARGS)

bench: install-dev static
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles db.sqlite3
