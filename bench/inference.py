"""Inference benchmarks: load time and single-image latency of the exported vision model (chapter 21_deployment), and
MiniLM's text-classification throughput (chapter 40_nlp).

Part of `make bench` (bench/run.py), after the deployment notebook has saved the model both ways: `models/clothes/`
(safetensors + config, what the app, CLI and Space load) and `models/clothes.pkl` (fastai's `learn.export`).
Goals (issue 6): load <= 2 s; <= 50 ms per image at the notebook's input size (64 px), median of 50 predictions.
"""
import statistics, subprocess, sys, time
from pathlib import Path
import torch

ROOT = Path(__file__).resolve().parent.parent

def load_time(model:Path, repeats:int=3) -> float:
    "Median seconds for a fresh process to import the workbook and load `model` (the cost a user of the app pays once)."
    code = (f"import time; t=time.perf_counter(); from mylib.deployment import load_model; "
            f"load_model({str(model)!r}, trust=True); print(time.perf_counter()-t)")    # a file this workbook wrote
    return statistics.median(float(subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                                                  check=True).stdout.split()[-1]) for _ in range(repeats))

def latency(model:Path, n:int=50) -> dict:
    "Median and 90th-percentile milliseconds of `predict_image` on one sample photo, after one warm-up call."
    from mylib.deployment import predict_image, sample_photos, load_model
    t = time.perf_counter(); learn = load_model(model, trust=True); in_process = time.perf_counter() - t
    photo = sample_photos()['cat']
    predict_image(learn, photo)
    ts = []
    for _ in range(n):
        t = time.perf_counter(); predict_image(learn, photo); ts.append(1000 * (time.perf_counter() - t))
    ts.sort()
    return dict(median_ms=statistics.median(ts), p90_ms=ts[int(0.9 * n)], load_in_process_s=in_process)

def text_throughput(n:int=512, bs:int=64) -> dict:
    "Samples/s of MiniLM classifying `n` Rotten Tomatoes snippets in batches of `bs` (the fine-tuned model if saved)."
    from mylib.engine.core import models_path
    from mylib.engine.data import held_out
    from mylib.engine.models import minilm_tokenizer, minilm_classifier
    from mylib.nlp import predict_texts, load_text_model
    saved = models_path()/'minilm_rotten_tomatoes'
    fine_tuned = (saved/'config.json').exists()
    model, tok = load_text_model(saved) if fine_tuned else (minilm_classifier(2), minilm_tokenizer())
    texts = list(held_out('rotten_tomatoes').text[:n])
    predict_texts(model, tok, texts[:bs], bs=bs)                      # warm-up
    t = time.perf_counter(); predict_texts(model, tok, texts, bs=bs); dt = time.perf_counter() - t
    return dict(samples_s=len(texts) / dt, n=len(texts), bs=bs, fine_tuned=fine_tuned)

def text_rows(r:dict) -> list:
    which = 'the fine-tuned MiniLM (models/minilm_rotten_tomatoes)' if r['fine_tuned'] else 'MiniLM with a new head'
    return ["## Text inference (MiniLM, chapter 4)", "", "| measure | value |", "|---|---|",
            f"| {which}: {r['n']} Rotten Tomatoes test snippets, batches of {r['bs']} | {r['samples_s']:.0f} samples/s |", ""]

def measure(models:dict) -> dict:
    "Load time (fresh process) and per-image latency of each saved model in `models` (name -> path)."
    return {k: dict(load_s=load_time(m), **latency(m)) for k, m in models.items()}

def rows(res:dict) -> list:
    names = list(res)
    def row(label, key, fmt, goal=''): return f"| {label} | " + ' | '.join(fmt.format(res[n][key]) for n in names) + f" | {goal} |"
    return ["## Inference (clothes-on-photos model, 64 px)", "", f"| measure | {' | '.join(names)} | goal |",
            "|---|" + "---|" * len(names) + "---|",
            row('load in a fresh process (imports included), median of 3', 'load_s', '{:.2f} s'),
            row('load in a warm process', 'load_in_process_s', '{:.3f} s', '≤ 2 s'),
            row('one image, median of 50', 'median_ms', '{:.1f} ms', '≤ 50 ms'),
            row('one image, 90th percentile', 'p90_ms', '{:.1f} ms'), ""]

MODELS = {'safetensors + config (load_classifier)': ROOT/'models'/'clothes', 'pickle (load_learner)': ROOT/'models'/'clothes.pkl'}

if __name__ == '__main__':
    print('\n'.join(rows(measure(MODELS))))
