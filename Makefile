# Every target bootstraps .venv itself, so a fresh clone needs only `make demo` / `make test`.
PY := .venv/bin/python
VENV_STAMP := .venv/.installed

.PHONY: test test-narrow test-wheel fuzz browser demo model bench bench-train ablations clean venv

venv: $(VENV_STAMP)

# Exact versions from constraints.txt; pyproject.toml only declares the ranges (CONTRIBUTING.md).
$(VENV_STAMP): pyproject.toml constraints.txt
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	# torch first: the exact CPU build on this machine, so nothing pulls a CUDA wheel.
	$(PY) -m pip install -q -c constraints.txt torch
	$(PY) -m pip install -q -c constraints.txt -e '.[test]'
	touch $(VENV_STAMP)

# The browser test (tests/test_review_browser.py) needs Debian's chromium and its driver:
# installed here when root on Debian and missing; elsewhere that test skips and says why.
# Then the tests that make synthetic wells again, on numpy's baseline code only (test-narrow).
test: $(VENV_STAMP) browser
	$(PY) -m pytest
	$(MAKE) --no-print-directory test-narrow

# Results must not depend on the CPU: these files run with every SIMD extension numpy dispatches to
# on this CPU switched off (NPY_DISABLE_CPU_FEATURES from scripts/numpy_dispatch.py; docs/reliability.md).
NARROW_TESTS := tests/test_synth.py tests/test_synth_artefacts.py tests/test_determinism.py tests/test_strata.py \
	tests/test_predict_cli.py tests/test_calibration.py tests/test_io_survey.py
test-narrow: $(VENV_STAMP)
	@features="$$($(PY) scripts/numpy_dispatch.py)"; \
	if [ -z "$$features" ]; then echo "test-narrow: numpy dispatches nothing beyond its baseline here; nothing to narrow"; \
	else echo "test-narrow: NPY_DISABLE_CPU_FEATURES='$$features'" && \
		NPY_DISABLE_CPU_FEATURES="$$features" $(PY) -m pytest -p no:cacheprovider $(NARROW_TESTS); fi

# The package as a user gets it: build the sdist and the wheel (from the sdist), install the wheel in a
# clean venv with every direct dependency at its lowest declared version (torch first), pick a
# synthetic well with the installed `geobfdt`, then run a few test files against that install.
WHEEL_DIR := build/wheel-test
WHEEL_TESTS := tests/test_synth_artefacts.py tests/test_predict_cli.py tests/test_io_dlis.py tests/test_io_las.py \
	tests/test_review_api.py tests/test_plots.py tests/test_engine.py tests/test_api.py tests/test_notebook.py tests/test_vugs.py
test-wheel: $(VENV_STAMP)
	rm -rf $(WHEEL_DIR) && mkdir -p $(WHEEL_DIR)
	$(PY) -m build -q --outdir $(WHEEL_DIR)/dist .
	$(PY) scripts/write_constraints.py --lowest > $(WHEEL_DIR)/lowest.txt
	python3 -m venv $(WHEEL_DIR)/venv
	$(WHEEL_DIR)/venv/bin/pip install -q torch==2.13.0
	$(WHEEL_DIR)/venv/bin/pip install -q -c $(WHEEL_DIR)/lowest.txt "$$(ls $(WHEEL_DIR)/dist/*.whl)[test]"
	cd $(WHEEL_DIR) && venv/bin/pip list --format=freeze > installed.txt && \
		venv/bin/python -c "import geobfdt, pathlib; p = pathlib.Path(geobfdt.__file__).parent; \
			assert 'site-packages' in str(p), p; assert (p / 'weights/default.safetensors').is_file(); \
			assert (p / 'review/static/index.html').is_file()" && \
		venv/bin/geobfdt synth wells --wells 1 --length-m 20 --seed 3 --no-progress && \
		GEOBFDT_CACHE=$$PWD/cache venv/bin/geobfdt predict wells --out picks && \
		for f in picks/*_picks.csv; do [ "$$(wc -l < $$f)" -gt 1 ] || { echo "test-wheel: no picks in $$f"; exit 1; }; done
	$(WHEEL_DIR)/venv/bin/python -m pytest -p no:cacheprovider $(WHEEL_TESTS)

# tests/test_fuzz.py with FUZZ_FACTOR times the examples `make test` runs and fresh random seeds;
# prints the inputs tried (docs/reliability.md records a run).
# Under an 8 GB address-space cap, an allocation no limit caught fails its test instead of the machine.
fuzz: $(VENV_STAMP)
	ulimit -v 8000000 && GEOBFDT_FUZZ=1 $(PY) -m pytest -p no:cacheprovider -q -s tests/test_fuzz.py

browser:
	@if ! command -v chromedriver >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver \
			|| echo "make: could not install chromium; the browser test will skip"; \
	fi

demo: $(VENV_STAMP)
	.venv/bin/geobfdt demo --out demo_out

# The shipped model (docs/model-card.md): the recipe's ten pretraining phases (about 15 hours here; the
# same command continues after a stop), then the last phase installed in the package and calibrated.
model: $(VENV_STAMP)
	.venv/bin/geobfdt pretrain --recipe configs/shipped_model.yaml --out runs/shipped
	.venv/bin/geobfdt ship runs/shipped/phase10 --tune-wells 4

# The four studies of docs/ablations.md, one after the other (about 3 hours; the docs ran two
# side by side, one core each). The first call makes runs/ablate/corpus, the others reuse it.
ablations: $(VENV_STAMP)
	for study in backbone wells normalisation augmentation; do \
		OMP_NUM_THREADS=1 .venv/bin/geobfdt ablate $$study --seeds 3 --max-minutes 4 --out runs/ablate || exit 1; \
	done

bench: $(VENV_STAMP)
	$(PY) scripts/bench.py

bench-train: $(VENV_STAMP)
	$(PY) scripts/bench.py --only train

clean:
	rm -rf .venv demo_out runs build
