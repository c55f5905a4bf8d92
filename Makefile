PYTHON ?= python3

.PHONY: install test-deps demo test bench template

install:
	$(PYTHON) -m pip install -q -e ".[test]"

demo: install
	jit-workbook demo demo/

# statsforecast for the forecast parity tests, without its pandas<3 pin: pandas is
# held at the version `install` gave and checked afterwards. Why: requirements/statsforecast.txt
test-deps: install
	pandas=$$($(PYTHON) -c "import pandas; print(pandas.__version__)") && \
	$(PYTHON) -m pip install -q -r requirements/statsforecast.txt "pandas==$$pandas" && \
	$(PYTHON) -m pip install -q --no-deps -r requirements/statsforecast-nodeps.txt && \
	$(PYTHON) -c "import sys, pandas, statsforecast.models; \
	sys.exit(pandas.__version__ != '$$pandas' and 'test-deps changed pandas $$pandas -> ' + pandas.__version__)"

test: install test-deps
	$(PYTHON) -m pytest -q

bench: install
	$(PYTHON) scripts/bench.py

template: install
	$(PYTHON) scripts/build_template.py
