# The two commands of the README: `make demo` and `make test`. Both create .venv and install on first use.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test benchmark clean

# torch goes in first and pinned, so that no other requirement pulls a different (CUDA) build.
$(INSTALLED): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

demo: $(INSTALLED)
	mkdir -p out
	$(BIN)/facemotion animate assets/samples/LJ001-0001.flac --transcript assets/samples/LJ001-0001.txt -o out/demo.usda

test: $(INSTALLED)
	$(BIN)/python -m pytest

benchmark: $(INSTALLED)
	$(BIN)/python benchmarks/realtime_factor.py

clean:
	rm -rf $(VENV) out
