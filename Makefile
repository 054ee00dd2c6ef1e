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

.PHONY: setup demo demo-dnn notebooks samples grade lab test bench train lock clean

setup: $(STAMP)

$(STAMP): $(SPEC)
	@echo ">> installing into $(VENV) (first time: about a minute)"
	rm -f $(VENV)/.installed-*
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[dev]"
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

# The student notebooks in JupyterLab, as Binder opens them
lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

test: $(STAMP)
	$(PY) -m pytest

# Against TensorFlow at its fastest: oneDNN on (its default), not the tests' deterministic setting.
bench: export TF_ENABLE_ONEDNN_OPTS := 1
bench: $(STAMP)
	$(PY) -m benchmarks

train: $(STAMP)
	$(PY) -m pytest -m slow -n 0 -s

lock: $(STAMP)
	{ head -2 requirements.lock; $(PY) -m pip freeze --exclude-editable | grep -vi '^sprintlib'; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:
	rm -rf $(VENV) output .pytest_cache autograder/gradebook.db autograder/autograded autograder/feedback autograder/.work autograder/results
