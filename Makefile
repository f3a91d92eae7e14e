# Two commands do all the set-up: `make book` and `make test`.
# Each creates .venv, installs the CPU build of PyTorch first (a bare `torch`
# requirement would pull several GB of CUDA packages), then the package with its extras.

PYTHON ?= python3
TORCH ?= torch==2.13.0
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.hepcourse-installed
JOBS ?= 2

.PHONY: install test test-fast book clean-book clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[test,book,export]"
	touch $(STAMP)

# unit tests, data tests and every notebook in smoke mode (tiny data, few epochs)
test: $(STAMP)
	HEPCOURSE_SMOKE=1 $(BIN)/python -m pytest -n $(JOBS) tests --nbmake --nbmake-timeout=600 notebooks

# unit and data tests only, no notebooks
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) tests

# the instructor book: executes every notebook at full size and builds the HTML
book: $(STAMP)
	$(BIN)/jupyter-book build . --config book/_config.yml --toc book/_toc.yml --builder html --path-output book
	@echo "open book/_build/html/index.html"

clean-book:
	rm -rf book/_build

clean: clean-book
	rm -rf $(VENV) .pytest_cache
