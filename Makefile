# Two commands do all the set-up: `make book` and `make test`.
# Each creates .venv, installs PyTorch first (see TORCH below), then the package with its
# extras (.[test,book,export,notebook,jets,beam,anomaly]).

PYTHON ?= python3
# PyTorch: a torch already in .venv is kept (put your CUDA build there first). Otherwise, on
# Linux, PyTorch's CPU wheel index is asked first: the default index serves a CUDA build
# with several GB of nvidia packages. Where that index cannot be reached the plain
# requirement follows at once (pip --retries 0 --timeout 5). Intel Macs have no wheels
# after torch 2.2. Override with e.g. `make install TORCH="torch==2.13.0"`.
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
UNAME_S := $(shell uname -s)
UNAME_M := $(shell uname -m)
ifeq ($(UNAME_S)-$(UNAME_M),Darwin-x86_64)
TORCH ?= torch==2.2.2 "numpy<2"
else
TORCH ?= torch==2.13.0
endif
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.hepcourse-installed
JOBS ?= 2

.PHONY: install test test-fast book book-force student slides clean-book clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip
	@if $(BIN)/python -c "import torch" 2> /dev/null; then \
	    echo "keeping the torch in $(VENV): $$($(BIN)/python -c 'import torch; print(torch.__version__)')"; \
	elif [ "$(UNAME_S)" = Linux ]; then \
	    $(BIN)/python -m pip install --quiet --retries 0 --timeout 5 --index-url $(TORCH_CPU_INDEX) $(TORCH) \
	    || { echo "PyTorch CPU index unreachable: installing from the default index"; \
	         $(BIN)/python -m pip install --quiet $(TORCH); }; \
	else \
	    $(BIN)/python -m pip install --quiet $(TORCH); \
	fi
	$(BIN)/python -m pip install --quiet -e ".[test,book,export,notebook,jets,beam,anomaly]"
	touch $(STAMP)

# The instructor build's settings, for `make test` and `make book`: a science claim that
# fails (check.claim) fails the build, and no progress bar reaches the executed notebooks.
# In a student's JupyterLab both are unset: a failed claim is a warning, and bars show.
BUILD_ENV := HEPCOURSE_STRICT_CLAIMS=1 HEPCOURSE_PROGRESS=0

# unit tests, data tests and every notebook in smoke mode (tiny data, few epochs), the
# notebooks by tests/test_notebooks.py (marked `notebook`, spread over the JOBS workers)
test: $(STAMP)
	HEPCOURSE_SMOKE=1 $(BUILD_ENV) $(BIN)/python -m pytest -n $(JOBS) --durations=15 tests

# unit and data tests only, no notebooks
test-fast: $(STAMP)
	$(BUILD_ENV) $(BIN)/python -m pytest -n $(JOBS) -m "not notebook" tests

# MathJax 3 for the books, served from their own _static folder: math renders on a
# projector without network (book/_config.yml: html_static_path and mathjax_path)
BOOK_STATIC := build/book-static
MATHJAX3 := build/npm-book/node_modules/mathjax3/es5
$(BOOK_STATIC)/.done:
	npm install --no-save --no-audit --no-fund --loglevel=error --prefix build/npm-book mathjax3@npm:mathjax@3.2.2
	rm -rf $(BOOK_STATIC) && mkdir -p $(BOOK_STATIC)/mathjax/output
	cp $(MATHJAX3)/tex-chtml.js $(BOOK_STATIC)/mathjax/
	cp -r $(MATHJAX3)/input $(MATHJAX3)/ui $(MATHJAX3)/a11y $(BOOK_STATIC)/mathjax/
	cp -r $(MATHJAX3)/output/chtml $(MATHJAX3)/output/chtml.js $(BOOK_STATIC)/mathjax/output/
	touch $@

# the instructor book: executes the notebooks at full size and builds the HTML. Executed
# notebooks are cached (jupyter-cache): a rebuild re-executes only notebooks whose code changed.
book: $(STAMP) $(BOOK_STATIC)/.done
	@# the cache does not know HEPCOURSE_SMOKE: a smoke build never serves a full-size one
	@mode=$$(HEPCOURSE_SMOKE=$${HEPCOURSE_SMOKE:-} $(BIN)/python -c "import hepcourse; print('smoke' if hepcourse.smoke() else 'full')"); \
	if [ "$$(cat book/_build/.cache-mode 2> /dev/null)" != "$$mode" ]; then rm -rf book/_build/.jupyter_cache; fi; \
	mkdir -p book/_build && echo $$mode > book/_build/.cache-mode
	$(BUILD_ENV) $(BIN)/jupyter-book build . --config book/_config.yml --toc book/_toc.yml --builder html --path-output book
	@echo "open book/_build/html/index.html"

# the same, executing every notebook again (empties the execution cache first)
book-force:
	rm -rf book/_build/.jupyter_cache
	$(MAKE) book

# the student edition: notebooks without solutions, and their book
student: $(STAMP) $(BOOK_STATIC)/.done
	$(BIN)/hepcourse student . build/student
	mkdir -p build/student/build && cp -r $(BOOK_STATIC) build/student/build/
	HEPCOURSE_PROGRESS=0 $(BIN)/jupyter-book build build/student --config build/student/book/_config.yml --toc $(CURDIR)/build/student/book/_toc.yml --builder html --path-output build/student/book
	@echo "student notebooks in build/student/notebooks, student book in build/student/book/_build/html/index.html"

# reveal.js slides of every chapter, from the book's executed notebooks; they load
# reveal.js, MathJax, require.js and jQuery from book/_build/slides/vendor (no network)
VENDOR := build/vendor
NPM_MODULES := build/npm/node_modules
$(VENDOR)/.done:
	npm install --no-save --no-audit --no-fund --loglevel=error --prefix build/npm reveal.js@4.6.0 requirejs@2.3.7 jquery@3.7.1 mathjax@2.7.9
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/reveal.js $(VENDOR)/mathjax/jax/output $(VENDOR)/mathjax/fonts/HTML-CSS/TeX
	cp -r $(NPM_MODULES)/reveal.js/dist $(NPM_MODULES)/reveal.js/plugin $(VENDOR)/reveal.js/
	cp $(NPM_MODULES)/requirejs/require.js $(NPM_MODULES)/jquery/dist/jquery.min.js $(VENDOR)/
	cp -r $(NPM_MODULES)/mathjax/MathJax.js $(NPM_MODULES)/mathjax/config $(NPM_MODULES)/mathjax/extensions $(VENDOR)/mathjax/
	cp -r $(NPM_MODULES)/mathjax/jax/input $(NPM_MODULES)/mathjax/jax/element $(VENDOR)/mathjax/jax/
	cp -r $(NPM_MODULES)/mathjax/jax/output/CommonHTML $(VENDOR)/mathjax/jax/output/
	cp -r $(NPM_MODULES)/mathjax/fonts/HTML-CSS/TeX/woff $(VENDOR)/mathjax/fonts/HTML-CSS/TeX/
	touch $@

slides: book $(VENDOR)/.done
	$(BIN)/hepcourse slides book/_build/jupyter_execute/notebooks book/_build/slides $(VENDOR)
	@# every deck opened offline in headless Chromium; a screenshot of each is the build artefact
	$(BIN)/python -m hepcourse.course.slides screenshots book/_build/slides build/slides-screenshots
	@echo "open book/_build/slides/01-fitting.slides.html (S: speaker notes)"

clean-book:
	rm -rf book/_build build/student

clean: clean-book
	rm -rf $(VENV) .pytest_cache
