# Commands for a machine where Odoo 18 is importable by python3
# (activate that environment first). See README.md.
.PHONY: demo test lint bench

demo:  ## fresh database with the suite and demo data, served on :8069
	bash scripts/demo.sh

test:  ## every check and test; ends with "N passed, N failed"
	bash scripts/test.sh

lint:
	python3 -m ruff check addons tests
	python3 -m ruff format --check addons tests
	python3 -m pylint --rcfile=.pylintrc-mandatory addons/*/
