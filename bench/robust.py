"""`make robust`: rerun the notebooks under several seeds and thread counts, and report every claim's spread.

A chapter's `claim(...)` calls are its asserted results (see `mylib.engine.core.claim`); `save_result` stores them in
`results/<chapter>.json`. This script runs `nbdev-test` once per (seed, threads) with `MYLIB_SEED`, `MYLIB_THREADS`
and `MYLIB_RESULTS` set, so each run keeps its own results folder under `results/robust/`, then writes
`bench/ROBUSTNESS.md`: per claim, the worst, median and best figure over the runs, the bound and the margin.

    python bench/robust.py run --seeds 1 2 3 4 5 --threads 1 --workers 2      # CI's setting
    python bench/robust.py run --seeds 1 2 --threads 2 --workers 1             # each notebook alone on 2 cores
    python bench/robust.py run --seeds 42 --size full --notebooks 10_vision    # once at full size
    python bench/robust.py report                                              # bench/ROBUSTNESS.md from every run kept
"""
import argparse, json, os, re, statistics, subprocess, sys, time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(os.environ.get('BIN', ROOT/'.venv'/'bin'))
RUNS = ROOT/'results'/'robust'

def run_dir(seed:int, threads:int, size:str) -> Path: return RUNS/f'{size}-seed{seed}-threads{threads}'

def run_once(seed:int, threads:int, workers:int, size:str, notebooks:list) -> int:
    "One nbdev-test run of `notebooks` (all if empty) under `seed` and `threads`; its results and log go to its own folder."
    d = run_dir(seed, threads, size); d.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, 'MYLIB_SEED': str(seed), 'MYLIB_THREADS': str(threads), 'MYLIB_RESULTS': str(d), 'MYLIB_SIZE': size}
    cmd = [str(BIN/'nbdev-test'), '--timing', '--n-workers', str(workers)]
    if notebooks: cmd += ['--file-re', '^(' + '|'.join(re.escape(n) for n in notebooks) + r')\.ipynb$']
    t0 = time.time()
    with open(d/'nbdev-test.log', 'a') as log:
        log.write(f"\n# {time.strftime('%Y-%m-%d %H:%M')}: {' '.join(cmd)}\n"); log.flush()
        rc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
        log.write(f"# exit {rc} after {time.time()-t0:.0f} s\n")
    print(f"{d.name}: exit {rc} in {time.time()-t0:.0f} s", flush=True)
    return rc

def collect() -> tuple:
    "Every kept run's claims as rows; the claims that failed and were not passed by a later run of their notebook; runs that exited non-zero."
    rows, failed, bad_exits = [], [], []
    for d in sorted(RUNS.glob('*-seed*-threads*')):
        size, seed, threads = re.match(r'(\w+)-seed(-?\d+)-threads(\d+)', d.name).groups()
        passed = {}
        for f in sorted(d.glob('*.json')):
            r = json.loads(f.read_text())
            for name, c in r.get('claims', {}).items():
                rows.append(dict(chapter=r['chapter'], claim=name, size=size, seed=int(seed), threads=int(threads),
                                 wall_s=r.get('wall_s'), when=r['when'], **c))
                passed[name] = max(passed.get(name, ''), r['when'])
        fc = d/'failed-claims.jsonl'
        for line in (fc.read_text().splitlines() if fc.exists() else []):
            c = json.loads(line)
            if passed.get(c['claim'], '') < c['when']: failed.append(dict(run=d.name, **c))
        log = d/'nbdev-test.log'
        if log.exists(): bad_exits += [f"{d.name}: {nb}" for nb in failed_notebooks(log.read_text())]
    return rows, failed, bad_exits

def failed_notebooks(log:str) -> list:
    "Notebooks that failed in a run logged in `log` and did not pass in a later run of the same folder."
    runs = []
    for block in re.split(r'^# (?=\d{4}-\d\d-\d\d \d\d:\d\d: )', log, flags=re.M)[1:]:
        sel = re.search(r'--file-re \^\(([^)]*)\)', block)
        ok = re.search(r'^# exit 0 ', block, flags=re.M) is not None
        runs.append((set(sel.group(1).split('|')) if sel else None, ok, set(re.findall(r'^\t(\S+)\.ipynb$', block, flags=re.M))))
    return sorted({nb for i, (_, _, bad) in enumerate(runs) for nb in bad
                   if not any(ok and (sel is None or nb in sel) for sel, ok, _ in runs[i+1:])})

# Chapters not run at `full` size on the 2-core CPU, and why: each estimate scales the chapter's quick run, alone at 2 threads,
# by how much more data and how many more epochs `full` uses (see each notebook's `by_size` calls).
FULL_NOT_RUN = {
    '10_vision': "part 1 trains two Lite0s on all 6,000 training images for 10 epochs instead of 500 for 6 (about 20x), part 2 a "
                 "CNN on 54,000 Fashion-MNIST images for 12 epochs instead of 10,000 for 2 (about 30x): hours here, from a 267 s quick run",
    '11_segmentation': "all nuclei tiles and scenes (instead of 200) for 8 and 20 epochs instead of 3 and 12: over an hour here",
    '21_deployment': "two Lite0s on 6,000 images for 10 epochs instead of 500 for 6: about 20x its 139 s quick run, 45 minutes here",
    '40_nlp': "MiniLM fine-tuned on all 8,530 reviews for 4 epochs instead of 6,000 for 1, and the scratch transformer for 8 "
              "instead of 2: about 6x, over 30 minutes here",
}

def fmt(v) -> str: return '' if v is None else f'{v:.4g}'

def report() -> str:
    "bench/ROBUSTNESS.md from every run kept under results/robust/."
    rows, failed, bad_exits = collect()
    out = ["# Robustness of the chapters' claims", "",
           f"Generated by `python bench/robust.py report` on {time.strftime('%Y-%m-%d %H:%M')} from the runs kept in "
           "`results/robust/` (one folder per run size, seed and torch threads). Each notebook's `claim(...)` is an assert "
           "that records its figure; a claim must hold on every run. *Margin* is the worst run's distance from the bound "
           "(positive: held in every run).", ""]
    if failed:
        out += ["## Claims that failed in some run", "", "| run | claim | measured | claimed |", "|---|---|---|---|"]
        bound = lambda f: ' and '.join(f'{w} {b:g}' for w, b in (('≥', f['at_least']), ('≤', f['at_most'])) if b is not None)
        out += [f"| {f['run']} | {f['claim']} | {f['value']:.4g} | {bound(f)} |" for f in failed] + [""]
    if bad_exits: out += ["Notebooks that failed and were not rerun since: " + ', '.join(bad_exits) + " (see each run's nbdev-test.log).", ""]
    for size in sorted({r['size'] for r in rows}, key=lambda s: s != 'quick'):
        rs = [r for r in rows if r['size'] == size]
        out += [f"## Run size `{size}`", "",
                "| chapter | claim | runs (seed@threads) | min | median | max | bound | margin |", "|---|---|---|---|---|---|---|---|"]
        for key in sorted({(r['chapter'], r['claim']) for r in rs}, key=lambda k: (k[0], k[1])):
            g = [r for r in rs if (r['chapter'], r['claim']) == key]
            vals = [r['value'] for r in g]
            last = max(g, key=lambda r: r['when'])                # the bound the notebook claims now
            lo, hi = last['at_least'], last['at_most']
            margin = min(([min(vals) - lo] if lo is not None else []) + ([hi - max(vals)] if hi is not None else []))
            bound = ' and '.join(f'{w} {b:g}' for w, b in (('≥', lo), ('≤', hi)) if b is not None)
            runs = ', '.join(f"{r['seed']}@{r['threads']}" for r in sorted(g, key=lambda r: (r['threads'], r['seed'])))
            out.append(f"| {key[0]} | {key[1].replace('|', chr(92) + '|')} | {len(g)}: {runs} | {fmt(min(vals))} | {fmt(statistics.median(vals))} | "
                       f"{fmt(max(vals))} | {bound} | {margin:+.4g} |")
        walls = {}
        for r in rs:
            if r['wall_s'] is not None: walls.setdefault(r['chapter'], set()).add((r['seed'], r['threads'], r['wall_s']))
        out += ["", "Notebook wall time (s) per run, as the notebook recorded it (it depends on what else the machine ran at the time):", "",
                "| chapter | 1 thread (min–max) | 2 threads (min–max) |", "|---|---|---|"]
        for ch, w in sorted(walls.items()):
            cell = lambda t: (lambda v: f"{min(v):.0f}–{max(v):.0f}" if v else '')([s for _, th, s in w if th == t])
            out.append(f"| {ch} | {cell(1)} | {cell(2)} |")
        out.append("")
    out += ["## Not run at `full` size here", "", "`full` (all data, more epochs) is the default with a GPU. On this 2-core CPU these chapters "
            "were not run at `full`:", ""] + [f"- `{nb}`: {why}." for nb, why in FULL_NOT_RUN.items()] + [""]
    if not rows: out += ["No runs kept yet: `python bench/robust.py run ...` first.", ""]
    return '\n'.join(out)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest='cmd', required=True)
    r = sub.add_parser('run', help='run the notebooks under each seed and thread count, then write the report')
    r.add_argument('--seeds', type=int, nargs='+', default=[1, 2, 3, 4, 5])
    r.add_argument('--threads', type=int, nargs='+', default=[1])
    r.add_argument('--workers', type=int, default=2, help='notebooks run side by side (CI: 2)')
    r.add_argument('--size', choices=['quick', 'full'], default='quick')
    r.add_argument('--notebooks', nargs='*', default=[], help='notebook names without .ipynb (default: all)')
    sub.add_parser('report', help='write bench/ROBUSTNESS.md from the runs kept')
    a = ap.parse_args(argv)
    if a.cmd == 'run':
        for t in a.threads:
            for s in a.seeds: run_once(s, t, a.workers, a.size, a.notebooks)
        if a.notebooks:   # the report covers what `results/robust/` keeps: a run of a few notebooks must not replace it
            print("ran only some notebooks: bench/ROBUSTNESS.md is left as it was; `python bench/robust.py report` rewrites it "
                  "from every run kept in results/robust/"); return
    (HERE/'ROBUSTNESS.md').write_text(report())
    print(f"wrote {HERE/'ROBUSTNESS.md'}")

if __name__ == '__main__': main()
