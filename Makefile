# The two commands of the README: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test install install-test translations extract-messages db clean benchmark

run: install translations instance/config.py db
	@$(FLASK) demo logins
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install-test translations
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Compiled catalogues are build output (git-ignored); they are rebuilt whenever a .po changes.
translations: install
	@$(BIN)/pybabel compile -d mentoring/translations 2>&1 | grep -v '^compiling' || true

extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o mentoring/translations/messages.pot .
	$(BIN)/pybabel update -i mentoring/translations/messages.pot -d mentoring/translations --no-fuzzy-matching

# Local settings for development over plain http://127.0.0.1 (production keeps Secure cookies).
instance/config.py: | install
	@mkdir -p instance
	@$(BIN)/python -c "import secrets; print(\
	'# Written by make run for local development; not used in production.\n'\
	'SECRET_KEY = %r\n' % secrets.token_hex(32) +\
	'SESSION_COOKIE_SECURE = False\nREMEMBER_COOKIE_SECURE = False\n'\
	'SESSION_COOKIE_NAME = \"mentoring_session\"\nPREFERRED_URL_SCHEME = \"http\"\nDEMO = True\n')" > $@
	@echo "Wrote $@"

db: install instance/config.py
	$(FLASK) db upgrade
	$(FLASK) taxonomy load
	$(FLASK) demo load --if-empty

benchmark: install-test
	$(BIN)/python benchmarks/engine.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
