"bench/robust.py: the robustness report from kept runs, and `claim` writing what it needs, in a real notebook kernel's stead."
import json, os, subprocess, sys
from pathlib import Path
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'bench'))

def run_claims(results:Path, seed:int, code:str) -> subprocess.CompletedProcess:
    "Run `code` in a fresh process as a chapter would, with its results going to `results` and seed `seed`."
    env = {**os.environ, 'MYLIB_RESULTS': str(results), 'MYLIB_SEED': str(seed), 'MYLIB_THREADS': '1'}
    return subprocess.run([sys.executable, '-c', "from mylib.engine.core import setup, claim, save_result\nsetup()\n" + code],
                          env=env, capture_output=True, text=True)

def test_report_spread_failures_and_reruns(tmp_path, monkeypatch):
    import robust
    monkeypatch.setattr(robust, 'RUNS', tmp_path)
    for seed, v in ((1, 0.91), (2, 0.95)):
        r = run_claims(tmp_path/f'quick-seed{seed}-threads1', seed, f"claim('acc', {v}, at_least=0.9)\nsave_result('demo', acc={v})")
        assert r.returncode == 0, r.stderr
    bad = tmp_path/'quick-seed3-threads1'
    r = run_claims(bad, 3, "claim('acc', 0.85, at_least=0.9)\nsave_result('demo')")
    assert r.returncode != 0 and "claim 'acc' failed: measured 0.85" in r.stderr and not (bad/'demo.json').exists()
    md = robust.report()
    assert '| quick-seed3-threads1 | acc | 0.85 | ≥ 0.9 |' in md                       # the failure is listed...
    assert '| demo | acc | 2: 1@1, 2@1 | 0.91 | 0.93 | 0.95 | ≥ 0.9 | +0.01 |' in md   # ...beside the spread of the runs that passed
    assert run_claims(bad, 3, "claim('acc', 0.93, at_least=0.9)\nsave_result('demo', acc=0.93)").returncode == 0
    md = robust.report()                                                               # a later pass of that run replaces the failure
    assert 'failed in some run' not in md and '| demo | acc | 3: 1@1, 2@1, 3@1 |' in md
    assert json.loads((bad/'demo.json').read_text())['seed'] == 3

def test_failed_notebooks_superseded_by_a_later_passing_run():
    import robust
    log = ("\n# 2026-01-01 10:00: nbdev-test --file-re ^(a|b)\\.ipynb$\nnbdev Tests Failed On The Following Notebooks:\n\ta.ipynb\n# exit 1 after 5 s\n"
           "\n# 2026-01-01 11:00: nbdev-test --file-re ^(a|c)\\.ipynb$\nnbdev Tests Failed On The Following Notebooks:\n\tc.ipynb\n# exit 1 after 5 s\n")
    assert robust.failed_notebooks(log) == ['a', 'c']          # the second run failed too, so it proves nothing about a
    log += "\n# 2026-01-01 12:00: nbdev-test --file-re ^(a)\\.ipynb$\nSuccess.\n# exit 0 after 5 s\n"
    assert robust.failed_notebooks(log) == ['c']
