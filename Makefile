# Every target bootstraps .venv itself, so a fresh clone needs only `make demo` / `make test`.
PY := .venv/bin/python
VENV_STAMP := .venv/.installed

.PHONY: test fuzz browser demo model bench bench-train ablations clean venv

venv: $(VENV_STAMP)

$(VENV_STAMP): pyproject.toml
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	# torch first: the exact CPU build on this machine, so nothing pulls a CUDA wheel.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	touch $(VENV_STAMP)

# The browser test (tests/test_review_browser.py) needs Debian's chromium and its driver:
# installed here when root on Debian and missing; elsewhere that test skips and says why.
test: $(VENV_STAMP) browser
	$(PY) -m pytest

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
	rm -rf .venv demo_out runs
