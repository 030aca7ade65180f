# The two commands of the README: `make demo` and `make test`. Both create .venv and install on first use.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# Blender as a Python module (bpy, for FBX and the Blender round-trip tests) pins its own numpy, so it lives
# in its own environment; its wheel is for Python 3.11 only.
BLENDER_VENV ?= .venv-blender
BPY ?= bpy==5.0.1
BROWSER_DEPS := tests/browser/node_modules/.package-lock.json viewer/node_modules/.package-lock.json

.PHONY: viewer demo test benchmark english-eval blender-env browser-deps clean weights folds sync-expert lipreading-finetune

# torch goes in first and pinned, so that no other requirement pulls a different (CUDA) build.
$(INSTALLED): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

demo: $(INSTALLED)
	mkdir -p out
	@echo "make demo: animating the bundled sample (about half a minute; the steps follow)"
	$(BIN)/facemotion animate assets/samples/LJ001-0001.flac --transcript assets/samples/LJ001-0001.txt -o out/demo.usda

# Browser tests (glTF in three.js, the viewer) need npm and Chromium; without them they skip.
browser-deps:
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory $(BROWSER_DEPS); \
	else echo "npm not found: the three.js browser tests will be skipped"; fi

tests/browser/node_modules/.package-lock.json: tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --silent

viewer/node_modules/.package-lock.json: viewer/package-lock.json
	npm ci --prefix viewer --no-audit --no-fund --silent

# The viewer's JavaScript (viewer/src with three.js) bundled into facemotion/viewer/static/viewer.js, which is
# committed: run after changing viewer/src (tests/viewer/test_bundle.py checks the two agree).
viewer: viewer/node_modules/.package-lock.json
	npm run --prefix viewer --silent build

test: $(INSTALLED) browser-deps
	$(BIN)/python -m pytest

benchmark: $(INSTALLED)
	$(BIN)/python benchmarks/realtime_factor.py
	$(BIN)/python benchmarks/export_speed.py
	$(BIN)/python benchmarks/learned_speed.py
	$(BIN)/python -m benchmarks.recognizer_speed

# Issue 13's English evaluation set (eSpeak NG voices, needs Debian's espeak-ng; LJ Speech clips of ../shared) and
# the lip-closure table on its held-out split: every recogniser without a transcript against the transcript path.
english-eval: $(INSTALLED) $(ENGLISH_EVAL)
	PYTHONPATH=. $(BIN)/python benchmarks/english_lip_closure.py --splits held-out \
		--recognizers whisper,whisper-tiny.en,hama,phonetic --motions procedural,learned

$(BLENDER_VENV)/.installed:
	$(PYTHON) -m venv $(BLENDER_VENV)
	$(BLENDER_VENV)/bin/python -m pip install --quiet "$(BPY)"
	$(BLENDER_VENV)/bin/python -I -c "import bpy; print('bpy', bpy.app.version_string)"
	touch $@

blender-env: $(BLENDER_VENV)/.installed

clean:
	rm -rf $(VENV) out tests/browser/node_modules viewer/node_modules

# The default learned model, trained on all six FACEGOOD takes in ../shared/data/facegood (stage 1: the motion
# prior; stage 2: the key-motion transformer under its emotion, saved float16), then copied into
# assets/weights/facegood. `make folds` trains stage 2 once per FACEGOOD take left out and prints the
# leave-one-take-out table (the scores of the recipe on takes it has not seen); `make lipreading-finetune` is the stage-2 experiment with the lip-reading loss on top.
WEIGHTS := assets/weights/facegood
ENGLISH_EVAL := out/english_eval/manifest.json
$(ENGLISH_EVAL): datasets/make_english_eval.py benchmarks/espeak_speech.py
	PYTHONPATH=. $(BIN)/python datasets/make_english_eval.py

weights: $(INSTALLED)
	$(BIN)/facemotion train --config configs/facegood_prior.yaml
	$(BIN)/facemotion train --config configs/facegood_motion.yaml
	mkdir -p $(WEIGHTS)
	cp runs/facegood_motion/config.json runs/facegood_motion/model.safetensors runs/facegood_motion/visemes.yaml $(WEIGHTS)/

folds: $(INSTALLED)
	$(BIN)/python -m benchmarks.facegood_folds --train

lipreading-finetune: $(INSTALLED)
	$(BIN)/facemotion train --config configs/facegood_lipreading.yaml
	$(BIN)/python -m benchmarks.motion_quality --model runs/facegood_lipreading

# The default lip-sync expert (issue 5): self-supervised on FACEGOOD mouth-crop renders vs their audio (2 threads).
sync-expert: $(INSTALLED)
	OMP_NUM_THREADS=2 $(BIN)/facemotion train --config configs/facegood_sync_expert.yaml
	cp runs/sync_expert/config.json runs/sync_expert/model.safetensors assets/weights/sync_expert/
