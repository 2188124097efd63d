# Payvand: `make run` starts everything; `make test` runs the whole suite (DATABASE_URL picks PostgreSQL).
.PHONY: run test setup lint typecheck migrations-check pytest e2e bench messages

VENV := .venv/bin

setup:
	@scripts/setup.sh

run: setup
	$(VENV)/python manage.py migrate --no-input -v 0
	$(VENV)/python manage.py collectstatic --no-input -v 0
	$(VENV)/python manage.py seed_demo
	$(VENV)/python manage.py serve

lint: setup
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .

typecheck: setup
	$(VENV)/mypy payvand

migrations-check: setup
	$(VENV)/python manage.py makemigrations --check --dry-run

pytest: setup
	$(VENV)/pytest -n $${PYTEST_WORKERS:-2} $(PYTEST_ARGS)

test: lint typecheck migrations-check pytest

bench: setup
	$(VENV)/python -m bench.contacts

messages: setup
	@scripts/messages.sh
