# Every target bootstraps .venv itself, so a fresh clone needs only `make demo` / `make test`.
PY := .venv/bin/python
VENV_STAMP := .venv/.installed

.PHONY: test browser demo model bench bench-train ablations clean venv

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

browser:
	@if ! command -v chromedriver >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver \
			|| echo "make: could not install chromium; the browser test will skip"; \
	fi

demo: $(VENV_STAMP)
	.venv/bin/geobfdt demo --out demo_out

# The shipped model (docs/model-card.md): ten pretraining phases (about 15 hours here), then installed in the package.
# Phase 6a was stopped by hand after 18.8 min (--hours 0.31 repeats it); 6b continues from its last weights without dropout.
model: $(VENV_STAMP)
	.venv/bin/geobfdt pretrain --out runs/pretrain_2cm --hours 0.41 --config configs/pretrain_phase1.yaml --steps-per-epoch 50 --val-patches 256
	.venv/bin/geobfdt pretrain --out runs/pretrain --hours 0.9 --lr-drop-hours 0.7 --steps-per-epoch 50 --val-patches 256 --init runs/pretrain_2cm/best.safetensors
	.venv/bin/geobfdt pretrain --out runs/pretrain3 --hours 1.65 --lr-drop-hours 1.3 --config configs/pretrain_phase3.yaml --steps-per-epoch 50 --val-patches 256 --seed 1 --init runs/pretrain/best.safetensors
	.venv/bin/geobfdt pretrain --out runs/pretrain4 --hours 1.95 --lr-drop-hours 1.5 --config configs/pretrain_phase3.yaml --steps-per-epoch 50 --val-patches 256 --seed 2 --init runs/pretrain3/best.safetensors
	.venv/bin/geobfdt pretrain --out runs/pretrain5 --hours 1.75 --lr-drop-hours 1.35 --config configs/pretrain_phase3.yaml --steps-per-epoch 50 --val-patches 256 --seed 3 --init runs/pretrain4/best.safetensors
	.venv/bin/geobfdt pretrain --out runs/pretrain6 --hours 0.31 --config configs/pretrain_phase3.yaml --steps-per-epoch 50 --val-patches 256 --seed 4 --init runs/pretrain5/best.safetensors
	.venv/bin/geobfdt pretrain --out runs/pretrain6b --hours 1.4 --lr-drop-hours 1.05 --config configs/pretrain_phase6.yaml --steps-per-epoch 50 --val-patches 256 --seed 5 --init runs/pretrain6/last.safetensors
	.venv/bin/geobfdt pretrain --out runs/pretrain7 --hours 1.55 --lr-drop-hours 1.15 --config configs/pretrain_phase6.yaml --steps-per-epoch 50 --val-patches 256 --seed 6 --init runs/pretrain6b/best.safetensors
	.venv/bin/geobfdt pretrain --out runs/pretrain8 --hours 1.55 --lr-drop-hours 1.15 --config configs/pretrain_phase6.yaml --steps-per-epoch 50 --val-patches 256 --seed 7 --init runs/pretrain7/best.safetensors
	.venv/bin/geobfdt pretrain --out runs/pretrain9 --hours 1.55 --lr-drop-hours 1.15 --config configs/pretrain_phase6.yaml --steps-per-epoch 50 --val-patches 256 --seed 8 --init runs/pretrain8/best.safetensors
	.venv/bin/geobfdt pretrain --out runs/pretrain10 --hours 1.55 --lr-drop-hours 1.15 --config configs/pretrain_phase6.yaml --steps-per-epoch 50 --val-patches 256 --seed 9 --init runs/pretrain9/best.safetensors
	$(PY) scripts/ship_model.py runs/pretrain10 --tune-wells 4

# The four studies of docs/ablations.md, one after the other (about 3 hours; the docs ran two
# side by side, one core each). The first call makes runs/ablate/corpus, the others reuse it.
ablations: $(VENV_STAMP)
	for study in backbone wells normalisation augmentation; do \
		OMP_NUM_THREADS=1 .venv/bin/geobfdt ablate $$study --seeds 3 --budget-minutes 4 --out runs/ablate || exit 1; \
	done

bench: $(VENV_STAMP)
	$(PY) scripts/bench.py

bench-train: $(VENV_STAMP)
	$(PY) scripts/bench.py --only train

clean:
	rm -rf .venv demo_out runs
