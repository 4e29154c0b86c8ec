# Two entry points for a fresh machine with Python 3.11:
#   make run   - set up and run the whole desk (web + worker + beat) on embedded defaults
#                (HELP_SEMANTIC=on make run also installs the semantic-search extra)
#   make test  - set up and run the test suite (uses DATABASE_URL / REDIS_URL when set), with the
#                semantic-search extra installed so both search paths are tested
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DESK_PORT ?= 8000
export DESK_PORT

HELP_SEMANTIC ?= auto
export HELP_SEMANTIC

.PHONY: run test setup semantic migrate messages clean

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

setup: $(BIN)/.installed

# The optional semantic-search extra (requirements-semantic.txt): a separate stamp, so `make run` stays on
# the default install unless HELP_SEMANTIC=on.
$(BIN)/.installed-semantic: $(BIN)/.installed requirements-semantic.txt
	$(BIN)/python -m pip install --quiet -r requirements-semantic.txt
	touch $@

semantic: $(BIN)/.installed-semantic

migrate: setup
	$(BIN)/python manage.py migrate --noinput

run: migrate $(if $(filter on,$(HELP_SEMANTIC)),semantic)
	DEBUG=1 $(BIN)/python manage.py seed_demo
	DEBUG=1 $(BIN)/python manage.py seed_help
	@echo ""
	@echo "  Personal area: http://localhost:$(DESK_PORT)/"
	@echo "  Admin:         http://localhost:$(DESK_PORT)/admin/"
	@echo "  API docs:      http://localhost:$(DESK_PORT)/api/docs/"
	@echo "  Ctrl-C stops web, worker and beat."
	@echo ""
	DEBUG=1 PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/honcho start -f Procfile

# Against real servers (DATABASE_URL=postgres://..., as .ci/run does) the suite runs a second time on
# make run's embedded defaults (SQLite, in-memory layers), the tests that need PostgreSQL deselected:
# what only SQLite refuses is caught there.
test: setup semantic
	$(BIN)/python -m pytest
	@case "$$DATABASE_URL" in postgres*) \
	  echo "Again on the embedded defaults (SQLite, no Redis), as make run uses them:"; \
	  env -u DATABASE_URL -u REDIS_URL -u CI -u DESK_REQUIRE_SERVICES \
	    $(BIN)/python -m pytest -q -m "not postgres" -p no:cacheprovider;; \
	esac

messages: setup
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --add-location file
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore=.venv

clean:
	rm -rf $(VENV) var staticfiles
