# The two commands of the README: `make demo` (the instructor's grading run on the sample
# submissions) and `make test`. Each creates .venv, installs the project with its pinned
# dependencies, then runs. A second call skips
# the install: the stamp's name carries a hash of the dependency spec, so editing
# pyproject.toml or requirements.lock triggers a fresh install, nothing else does.
SHELL   := /bin/bash
PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
SPEC    := pyproject.toml requirements.lock
STAMP   := $(VENV)/.installed-$(shell cat $(SPEC) | sha256sum | cut -c1-16)
# Quiet TensorFlow's C++ start-up banner. (tests/conftest.py also turns oneDNN off for
# deterministic maths in the tests; benchmarks leave TensorFlow at its fastest defaults.)
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup browser-deps hub-deps demo demo-dnn notebooks samples grade student-repo lab test hub-test class screenshots bench bench-grading train keras-lenet lock clean

setup: $(STAMP)

$(STAMP): $(SPEC)
	@echo ">> installing into $(VENV) (first time: about a minute)"
	rm -f $(VENV)/.installed-*
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[dev]"
	touch $@

# The browser tests drive Debian's chromium (pip's playwright, never `playwright install`):
# installed with apt when missing and run as root, otherwise a message naming the package.
# CHROMIUM=/path/to/chromium uses another one.
browser-deps:
	@if [ -z "$$CHROMIUM" ] && ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo ">> installing Debian's chromium for the browser tests (apt-get, once)"; \
	    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } >/dev/null \
	      || { echo "apt-get install chromium failed"; exit 1; }; \
	  else \
	    echo "The browser tests need Chromium: install Debian's package 'chromium' (sudo apt-get install chromium)," \
	         "or set CHROMIUM=/path/to/chromium."; exit 1; \
	  fi; \
	fi

# JupyterHub's proxy, configurable-http-proxy, from npm into hub/node_modules at the versions of
# hub/package-lock.json (npm ci); again only when the lock file changes. Node.js and npm come
# from Debian (apt-get as root) when missing.
HUB_PROXY := hub/node_modules/.bin/configurable-http-proxy
hub-deps: $(HUB_PROXY)

$(HUB_PROXY): hub/package.json hub/package-lock.json
	@command -v npm >/dev/null || { if [ "$$(id -u)" = 0 ]; then \
	    echo ">> installing Debian's nodejs and npm for JupyterHub's proxy (apt-get, once)"; \
	    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm; } >/dev/null; \
	  else echo "The hub tests need Node.js and npm: install Debian's packages 'nodejs' and 'npm'"; exit 1; fi; }
	cd hub && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# make demo: build the release, grade the sample submissions (correct, blank, seeds) in
# parallel, write feedback and output/grades.csv, print the grade table.
demo: grade

# The DNN demo of sprintlib: train a 784-400-200-10 network on MNIST.
demo-dnn: $(STAMP)
	$(PY) -m sprintlib.demo

# percent scripts -> source, release and student notebooks, and the sample submissions
notebooks: $(STAMP)
	$(PY) autograder/build.py

samples: $(STAMP)
	$(PY) autograder/build.py --samples-only

# make grade SUBMISSIONS=dir  (nbgrader's <student>/<assignment>/ layout; default: the samples)
grade: $(STAMP)
	$(PY) autograder/grade.py $(if $(SUBMISSIONS),--submissions "$(SUBMISSIONS)")

# The students' repository (autograder/student_repo.py): notebooks, data, binder, the students'
# sprintlib without the model answers of the sprints course.toml does not release, the visible
# checks' expected values; a git repository of its own, to push to course.toml's repository.
# make student-repo DEST=../deep-learning-sprints  (a clone of it: the build is one more commit)
student-repo: $(STAMP)
	$(PY) autograder/student_repo.py $(if $(DEST),--dest "$(DEST)")

# The student notebooks in JupyterLab, as Binder opens them (--allow-root only for root)
lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

test: $(STAMP) browser-deps hub-deps
	$(PY) -m pytest

# A class on one machine, tested: JupyterHub, an instructor, three students, nbgrader's exchange
# (tests/test_hub.py, about 1.5 min). `make class` runs the same term and prints the grades;
# `make class KEEP=1` leaves the Hub up to look around (any password).
hub-test: $(STAMP) browser-deps hub-deps
	$(PY) -m pytest -n 0 tests/test_hub.py

class: $(STAMP) hub-deps
	$(PY) hub/classroom.py $(if $(KEEP),--keep)

# The README's pictures: the browser tests (tests/test_browser.py, and the formgrader of
# tests/test_hub.py's class) save them in output/screenshots/, copied to
# docs/screenshots/. A Japanese font first (the notebooks' titles), when root can install one.
screenshots: $(STAMP) browser-deps hub-deps
	@fc-list :lang=ja | grep -q . || { [ "$$(id -u)" != 0 ] || { apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends fonts-ipafont-gothic; } >/dev/null; }
	$(PY) -m pytest -n 0 -m "browser or hub"
	mkdir -p docs/screenshots
	cp output/screenshots/sprint1.png output/screenshots/formgrader.png docs/screenshots/

# Against TensorFlow at its fastest: oneDNN on (its default), not the tests' deterministic setting.
bench: export TF_ENABLE_ONEDNN_OPTS := 1
bench: $(STAMP)
	$(PY) -m benchmarks

# Grading a class: 100 submissions of sprint 1 by make grade's pipeline (2 workers) and by
# nbgrader autograde (sequential), in a temporary folder (benchmarks/bench_grading.py, 10-20 min)
bench-grading: $(STAMP)
	$(PY) -m benchmarks grading

# The full trainings (tests marked slow). tests/conftest.py gives the test suite's workers one
# BLAS thread each; these run one at a time, so the BLAS gets every CPU, and fit trains its
# batches' two halves side by side (the numbers are the same on one thread or two).
train: $(STAMP)
	OPENBLAS_NUM_THREADS=$$(nproc) $(PY) -m pytest -m slow -n 0 -s

# Sprint 3's Keras comparison trained again (TensorFlow, in the maintainers' environment):
# rewrites data/keras/keras_lenet.json, the record the notebook shows (about 30 s).
keras-lenet: $(STAMP)
	$(PY) -m sprintlib.keras_lenet

lock: $(STAMP)
	{ head -2 requirements.lock; $(PY) -m pip freeze --exclude-editable | grep -vi '^sprintlib'; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:
	rm -rf $(VENV) output .pytest_cache autograder/gradebook.db autograder/autograded autograder/feedback autograder/.work autograder/results
