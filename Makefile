PYTHON ?= python3

.PHONY: install demo test bench template

install:
	$(PYTHON) -m pip install -q -e ".[test]"

demo: install
	jit-workbook demo demo/

test: install
	$(PYTHON) -m pytest -q

bench: install
	$(PYTHON) scripts/bench.py

template: install
	$(PYTHON) scripts/build_template.py
