"""Inference benchmark: load time and single-image latency of the exported vision model (chapter 21_deployment).

Part of `make bench` (bench/run.py), after the deployment notebook has exported `models/faces.pkl`.
Goals (issue 6): load <= 2 s; <= 50 ms per image at the notebook's input size (64 px), median of 50 predictions.
"""
import json, platform, statistics, subprocess, sys, time
from pathlib import Path
import torch

ROOT = Path(__file__).resolve().parent.parent

def load_time(model:Path, repeats:int=3) -> float:
    "Median seconds for a fresh process to import fastai and load `model` (the cost a user of the app pays once)."
    code = (f"import time; t=time.perf_counter(); from fastai.learner import load_learner; "
            f"load_learner({str(model)!r}); print(time.perf_counter()-t)")
    return statistics.median(float(subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                                                  check=True).stdout.split()[-1]) for _ in range(repeats))

def latency(model:Path, n:int=50) -> dict:
    "Median and 90th-percentile milliseconds of `predict_image` on one sample photo, after one warm-up call."
    from fastai.learner import load_learner
    from mylib.deploy import predict_image, sample_photos
    t = time.perf_counter(); learn = load_learner(model); in_process = time.perf_counter() - t
    photo = sample_photos()['cat']
    predict_image(learn, photo)
    ts = []
    for _ in range(n):
        t = time.perf_counter(); predict_image(learn, photo); ts.append(1000 * (time.perf_counter() - t))
    ts.sort()
    return dict(median_ms=statistics.median(ts), p90_ms=ts[int(0.9 * n)], load_in_process_s=in_process)

def chapter_table() -> list:
    "Markdown rows of every chapter's own recorded result (results/*.json, written by the notebooks under nbdev-test)."
    from mylib.core import load_results
    rows = ["## Chapter results (from the notebooks' own runs)", "",
            "| chapter | dataset | results on the held-out test split (and baselines) | size | threads | wall |", "|---|---|---|---|---|---|"]
    skip = {'chapter', 'size', 'device', 'threads', 'when', 'dataset', 'wall_s'}
    for name, r in sorted(load_results().items()):
        fmt = lambda v: f'{v:.4f}' if isinstance(v, float) else str(v)
        rows.append(f"| {name} | {r.get('dataset', '')} | {', '.join(f'{k}={fmt(v)}' for k, v in r.items() if k not in skip)} "
                    f"| {r.get('size')} | {r.get('threads')} | {r.get('wall_s', 0):.0f} s |")
    return rows + [""]

def measure(model:Path) -> dict:
    "Load time (fresh process) and per-image latency of the exported learner `model`."
    return dict(load_s=load_time(model), **latency(model))

def rows(res:dict) -> list:
    return ["## Inference (exported face / not-face model, 64 px)", "", "| measure | value | goal |", "|---|---|---|",
            f"| load in a fresh process (import fastai + load_learner), median of 3 | {res['load_s']:.2f} s | |",
            f"| load_learner in a warm process | {res['load_in_process_s']:.3f} s | ≤ 2 s |",
            f"| one image, median of 50 | {res['median_ms']:.1f} ms | ≤ 50 ms |",
            f"| one image, 90th percentile | {res['p90_ms']:.1f} ms | |", ""]

if __name__ == '__main__':
    print('\n'.join(rows(measure(ROOT/'models'/'faces.pkl'))))
