"""`make bench`: run every benchmark and write bench/RESULTS.md (machine, date, tables).

Sections: training throughput (throughput.py), inference of the vision and text models (inference.py), CPU bfloat16
vs float32 per chapter model with each step's profile and fraction of the matmul peak (precision.py), fine-tuning's
default learning rate against lr_find's suggestion at 128 px (lr_defaults.py), finding wrong labels in and out of
sample (label_errors.py), the time of each
notebook under nbdev-test (from the log `make nbtest`/`make test` leaves in results/), and the chapter results table
(results_table.py, from each chapter's own recorded results), which README.md also shows.
`python bench/run.py results` refreshes only those last two sections (no timing runs), after a `make test`.
"""
import platform, re, sys, time
from pathlib import Path
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import inference, label_errors, lr_defaults, precision, results_table, throughput

def suite_rows() -> list:
    "Per-notebook wall time from the last nbdev-test run's log (results/nbdev-test.log)."
    from mylib.engine.core import results_path
    log = results_path()/'nbdev-test.log'
    if not log.exists(): return ["## Notebook times", "", "No nbdev-test log yet: run `make nbtest` first.", ""]
    times = re.findall(r'^(\S+\.ipynb): (\d+) secs', log.read_text(), flags=re.M)
    total = re.search(r'^nbdev-test total: (\d+) s', log.read_text(), flags=re.M)
    rows = ["## Notebook times (nbdev-test, 2 notebooks at a time, 1 thread each)", "", "| notebook | seconds |", "|---|---|"]
    rows += [f"| {n} | {s} |" for n, s in sorted(times)]
    if total: rows += [f"| **whole nbdev-test (wall)** | **{total.group(1)}** |"]
    return rows + ["", "Goal (issue 18): whole nbdev-test ≤ 8 minutes (480 s) on the 2-core machine; the notebooks start longest first (.ci/nbtest.py).", ""]

def main():
    from mylib.engine.core import get_device
    get_device()
    machine = f"{platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}"
    out = [f"# Benchmarks", "", f"Machine: {machine}. Date: {time.strftime('%Y-%m-%d %H:%M')}. Regenerate with `make bench`.", ""]
    out += throughput.rows(throughput.run())
    if all(m.exists() for m in inference.MODELS.values()): out += inference.rows(inference.measure(inference.MODELS))
    else: out += ["## Inference", "", "No saved clothes model: run nbs/21_deployment.ipynb first (make nbtest does).", ""]
    out += inference.text_rows(inference.text_throughput())
    out += precision.rows(precision.run())
    out += lr_defaults.rows(lr_defaults.run((1, 2, 3)))
    out += label_errors.rows(label_errors.run((1, 2, 3)))
    out += suite_rows() + results_table.rows()
    (HERE/'RESULTS.md').write_text('\n'.join(out))
    print('\n'.join(out))

def refresh_results():
    "Rewrite only the notebook-times and chapter-results sections of bench/RESULTS.md, from the last `make test` run."
    text = (HERE/'RESULTS.md').read_text()
    head = text.split('## Notebook times', 1)[0]
    (HERE/'RESULTS.md').write_text(head + '\n'.join(suite_rows() + results_table.rows()))
    print(f"refreshed the notebook times and chapter results of {HERE/'RESULTS.md'}")

if __name__ == '__main__':
    if sys.argv[1:] == ['results']: refresh_results()
    else: main()
