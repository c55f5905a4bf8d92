# Everything runs in a project virtual environment, .venv, made with the standard
# library's venv: Debian's and Ubuntu's own Python refuse `pip install` outside one
# (externally-managed-environment), and a venv never touches whatever python3 is first
# on PATH. Windows owners have no make: README gives the same two steps with `py -m venv`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
VPY := $(BIN)/python

.PHONY: install test-deps demo test bench template

# A Python without ensurepip (Debian without python3-venv) still has its own pip
# (python3-pip): the venv then borrows it through --system-site-packages; pip installs
# into the venv, never into the system.
$(VPY):
	@$(PYTHON) -m venv $(VENV) >/dev/null 2>&1 || { \
	  rm -rf $(VENV); \
	  $(PYTHON) -m venv --without-pip --system-site-packages $(VENV) && $(VPY) -m pip --version >/dev/null 2>&1; } || { \
	  rm -rf $(VENV); \
	  echo "Could not make the virtual environment $(VENV): this Python has neither venv's pip nor its own."; \
	  echo "On Debian or Ubuntu: sudo apt install python3-venv   (then run make again)"; exit 1; }
	@echo "made $(VENV) with $$($(VPY) --version)"

install: $(VPY)
	$(VPY) -m pip install -q -e ".[test]"

demo: install
	$(BIN)/jit-workbook demo demo/ --force

# statsforecast for the forecast parity tests, without its pandas<3 pin: pandas is
# held at the version `install` gave and checked afterwards. Why: requirements/statsforecast.txt
test-deps: install
	pandas=$$($(VPY) -c "import pandas; print(pandas.__version__)") && \
	$(VPY) -m pip install -q -r requirements/statsforecast.txt "pandas==$$pandas" && \
	$(VPY) -m pip install -q --no-deps -r requirements/statsforecast-nodeps.txt && \
	$(VPY) -c "import sys, pandas, statsforecast.models; \
	sys.exit(pandas.__version__ != '$$pandas' and 'test-deps changed pandas $$pandas -> ' + pandas.__version__)"

test: install test-deps
	$(VPY) -m pytest -q

bench: install
	$(VPY) scripts/bench.py

template: install
	$(VPY) scripts/build_template.py
