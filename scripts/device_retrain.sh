#!/usr/bin/env bash
# Issue 30, item 4: the retraining a lent GPU should spend its minutes on, as one prepared command.
#
# On the device machine (`device` tool, run in the repository root; its python3 holds torch with CUDA, and
# what comes back is what lands under $OUT, 8 files of at most 16 MiB):
#     bash scripts/device_retrain.sh
# It trains RECIPE, MINUTES per phase (configs/retrain_real_wells.yaml and 6 by default; the LWD model of
# docs/experiments.md with RECIPE=configs/lwd_specialist.yaml PHASE=lwd2 MINUTES=3, its two phases; the 10 minutes a device
# command may run hold training, the evaluations and the start; with the weights' moving average,
# RECIPE=configs/lwd_specialist_ema.yaml PHASE=lwd_ema2 KEEP=last), evaluates the best epoch (KEEP=last: the last, at
# the thresholds tuned for the best: a moving average's validation loss need not fall) on the held-out
# wells (scripts/evaluate_model.py: default, real-texture and harsh, WELLS per group; the LWD wells at
# 5-10 cm rows, 2 x WELLS) and packs under $OUT: the model in two parts (model.safetensors.part-aa/-ab;
# `cat` them back together), run.tar.gz (the run folder's record and learning curve), evaluations.tar.gz
# and log.txt. Back here: `python scripts/compare_scores.py` against the shipped model's evaluations, and
# ship only if every goal of the issue holds (docs/experiments.md, "Retraining on a mix of generator
# variants"). A smoke test of the whole path on this machine's CPU:
#     OUT=/tmp/dev DEVICE=cpu MINUTES=0.5 WELLS=1 WORKERS=1 bash scripts/device_retrain.sh
set -euo pipefail
OUT=${OUT:?set OUT to the folder that comes back}
DEVICE=${DEVICE:-cuda}
MINUTES=${MINUTES:-6}
RECIPE=${RECIPE:-configs/retrain_real_wells.yaml}
PHASE=${PHASE:-mix}
KEEP=${KEEP:-best}
WELLS=${WELLS:-3}
WORKERS=${WORKERS:-$(( $(nproc) > 3 ? $(nproc) - 2 : 1 ))}
PYTHON=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
WORK=${WORK:-$(mktemp -d)}
# progress bars every 30 s at most: the log comes back as a file
export PYTHONPATH="$PWD/src:$PWD/scripts${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 TQDM_MININTERVAL=30
mkdir -p "$OUT"
exec > >(tee "$OUT/log.txt") 2>&1
echo "device_retrain: $DEVICE, $MINUTES min, $WORKERS patch workers, $WELLS wells per group, work in $WORK"
"$PYTHON" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
start=$(date +%s)
"$PYTHON" -m geobfdt.cli pretrain --recipe "$RECIPE" --out "$WORK/run" \
    --device "$DEVICE" --workers "$WORKERS" --max-minutes "$MINUTES"
echo "trained in $(( $(date +%s) - start )) s"
MODEL="$WORK/run/$PHASE/best.safetensors"
if [ "$KEEP" = last ]; then
    "$PYTHON" -c "import sys
from geobfdt.model.checkpoint import load_model, read_model_header, save_model
model, header = load_model(sys.argv[1])
save_model(model, header.config, sys.argv[3], threshold=read_model_header(sys.argv[2]).raw_thresholds)" \
        "$WORK/run/$PHASE/last.safetensors" "$MODEL" "$WORK/kept.safetensors"
    MODEL="$WORK/kept.safetensors"
fi
for split in "default test $WELLS" "real-texture test $WELLS" "harsh test $WELLS" "default test-coarse-rows $(( 2 * WELLS ))"; do
    set -- $split
    variant=$( [ "$1" = default ] && echo "" || echo "--variant $1" )
    # shellcheck disable=SC2086
    "$PYTHON" scripts/evaluate_model.py --model "$MODEL" --detector-only --split "$2" --wells-per-group "$3" \
        $variant --out "$WORK/eval/$2_$1" > /dev/null
    echo "$2 $1:"; sed -n '/^| wells | method | F1 @8 cm/,/^$/p' "$WORK/eval/$2_$1/scores.md"
done
echo "trained and evaluated in $(( $(date +%s) - start )) s"
split -b 15M "$MODEL" "$OUT/model.safetensors.part-"
tar -czf "$OUT/run.tar.gz" -C "$WORK/run/$PHASE" run.json config.json metrics.csv summary.json
tar -czf "$OUT/evaluations.tar.gz" -C "$WORK" eval
ls -l "$OUT"
