"Distributed data parallel for real: two processes on this machine (gloo, CPU) train the tabular chapter's model."
import json, os, subprocess, sys
from pathlib import Path
from conftest import ROOT, free_port

def run(cmd, out:Path, env=None):
    e = {**os.environ, 'MYLIB_THREADS': '1', 'OMP_NUM_THREADS': '1', **(env or {})}
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=e, timeout=900)
    assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-3000:])
    return [json.loads(p.read_text()) for p in sorted(out.glob('rank*.json'))]

def test_two_processes_match_one(tmp_path):
    bin_dir = Path(sys.executable).parent
    single = run([sys.executable, '-m', 'mylib.train', 'tabular', '--epochs', '1', '--out', str(tmp_path/'single')], tmp_path/'single')
    multi = run([str(bin_dir/'torchrun'), '--nproc_per_node', '2', f'--master_port={free_port()}', '-m', 'mylib.train', 'tabular',
                 '--epochs', '1', '--out', str(tmp_path/'ddp')], tmp_path/'ddp', env={'ACCELERATE_USE_CPU': '1'})
    (s,), (r0, r1) = single, multi
    assert {r0['rank'], r1['rank']} == {0, 1} and r0['world'] == r1['world'] == 2
    # each rank trained on half the batches of the single-process run (rounded up)
    assert r0['batches'] == r1['batches'] == -(-s['batches'] // 2)
    assert r0['weights'] == r1['weights']                      # gradients were averaged: one model
    assert abs(r0['metric'] - s['metric']) < 0.01 and r0['metric'] == r1['metric']

def test_cli_refuses_bad_numbers(mod):
    "Zero epochs or a learning rate that is not a number stop before any data is loaded, with a message."
    for args, msg in ((['--epochs', '0'], 'epochs must be'), (['--lr', 'nan'], 'lr must be'), (['--lr', '-1'], 'lr must be')):
        r = mod('mylib.train', 'tabular', *args)
        assert r.returncode != 0 and msg in r.stderr and 'Traceback' not in r.stderr, r.stderr[-500:]
