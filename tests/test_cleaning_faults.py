"The cleaner under real faults: SIGKILLed applies, undos and recoveries, and two processes on one dataset."
from unittest import mock
import hashlib, json, os, random, signal, subprocess, sys, time
from collections import Counter
from pathlib import Path
import numpy as np, pytest
from PIL import Image
from conftest import ROOT

# Widens the window between a move's hard link and its unlink (a few microseconds otherwise) so kills land inside it too
SLOW = "import os, time\n_unlink = os.unlink\nos.unlink = lambda p, *a, **k: (time.sleep(0.004), _unlink(p, *a, **k))[1]\n"

def make_dataset(root:Path, n:int=24) -> list:
    "`n` distinct random PNGs in each of `train/a`, `train/b`; returns the train files."
    rng = np.random.default_rng(0)
    for label in ('a', 'b'):
        (root/'train'/label).mkdir(parents=True); (root/'valid'/label).mkdir(parents=True)
        for i in range(n): Image.fromarray(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)).save(root/'train'/label/f'{label}{i:03d}.png')
    return sorted(str(p) for p in (root/'train').glob('*/*.png'))

def hashes(root:Path) -> Counter:
    "sha256 of every image under `root`, trash included: a lost file or a duplicate changes it."
    return Counter(hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob('*.png'))

def contents(root:Path) -> Counter:
    "Like `hashes`, counting a file with two names (killed between a move's link and its unlink) once."
    return Counter({p.stat().st_ino: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob('*.png')}.values())

def layout(root:Path) -> dict:
    "Where each image is (outside the trash), by content."
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob('*.png') if '.cleaning' not in p.parts}

def decisions(files:list) -> dict:
    return {f: 'delete' if i % 2 else ('b' if '/a/' in f else 'a') for i, f in enumerate(files)}

def start(code:str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, '-c', SLOW + code], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

def n_ops(root:Path, op:str) -> int:
    f = root/'.cleaning'/'journal.jsonl'
    return f.read_text().count(f'"op": "{op}"') if f.exists() else 0

def kill_after_moves(proc, root:Path, op_count:int, delay:float):
    "SIGKILL `proc` `delay` s after the journal holds more than `op_count` move records."
    t0 = time.time()
    while n_ops(root, 'move') <= op_count:
        assert proc.poll() is None, proc.communicate()
        assert time.time() - t0 < 120; time.sleep(0.001)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL); proc.wait()

def journal(root): return f"from mylib.engine.journal import Journal\nj = Journal({str(root)!r})\n"

@pytest.mark.parametrize('run', range(6))
def test_sigkill_during_apply_then_recover(tmp_path, run):
    "Kill an apply at a random point: nothing is lost or duplicated, and either recovery gives a clean state."
    root = tmp_path/'ds'; files = make_dataset(root); before, where = hashes(root), layout(root)
    proc = start(journal(root) + f"j.apply({decisions(files)!r})")
    moves_before = n_ops(root, 'move')
    kill_after_moves(proc, root, moves_before + random.Random(run).randrange(20), random.Random(run).uniform(0, 0.006))
    assert proc.returncode == -signal.SIGKILL and n_ops(root, 'commit') == 0
    assert contents(root) == before                                 # even before recovery: every file is there, once
    from mylib.engine.journal import Journal
    j = Journal(root)
    assert j.incomplete() and not j.busy()
    with pytest.raises(RuntimeError, match='interrupted'): j.apply({files[0]: 'delete'})
    with pytest.raises(RuntimeError, match='interrupted'): j.undo()
    if run % 2:
        j.recover('rollback'); assert layout(root) == where
    else:
        j.recover('complete'); assert not j.incomplete() and hashes(root) == before
        j.undo(); assert layout(root) == where
    assert hashes(root) == before and not list(root.rglob('*_1.png'))

@pytest.mark.parametrize('run', range(6))
def test_sigkill_during_undo_then_recover(tmp_path, run):
    "Kill an undo at a random point: no duplicates (`*_1.png`), and the undo can be completed or rolled back."
    from mylib.engine.journal import Journal
    root = tmp_path/'ds'; files = make_dataset(root); before, where = hashes(root), layout(root)
    Journal(root).apply(decisions(files)); applied = layout(root)
    moves_before = n_ops(root, 'move')
    proc = start(journal(root) + "j.undo()")
    kill_after_moves(proc, root, moves_before + random.Random(run).randrange(20), random.Random(run).uniform(0, 0.006))
    assert proc.returncode == -signal.SIGKILL and contents(root) == before
    j = Journal(root)
    assert j.incomplete()
    with pytest.raises(RuntimeError, match='interrupted'): j.undo()
    if run % 2:
        j.recover('rollback'); assert layout(root) == applied   # back to the applied state, then undo properly
        j.undo()
    else: j.recover('complete')
    assert layout(root) == where and hashes(root) == before and not list(root.rglob('*_1.png'))
    assert j.undo() == dict(restored=0)                       # nothing left to undo: the apply is undone exactly once

def test_sigkill_during_recover(tmp_path):
    "A recovery killed midway is itself recoverable: run it again and the state is clean."
    from mylib.engine.journal import Journal
    root = tmp_path/'ds'; files = make_dataset(root, n=40); before, where = hashes(root), layout(root)
    import mylib.engine.journal as jr
    real, n = jr.move_no_clobber, [0]
    def dies(src, dst):                                       # the 61st move is journalled, then the apply stops
        if n[0] == 60: raise SystemExit('simulated crash')
        n[0] += 1; real(src, dst)
    with mock.patch.object(jr, 'move_no_clobber', dies), pytest.raises(SystemExit): Journal(root).apply(decisions(files))
    in_trash = lambda: sum(1 for _ in (root/'.cleaning'/'trash').rglob('*.png'))
    n0, t0 = in_trash(), time.time()
    proc = start(journal(root) + "j.recover('rollback')")
    while in_trash() > n0 - 8:                                # killed once a few files are back
        assert proc.poll() is None, proc.communicate()
        assert time.time() - t0 < 120; time.sleep(0.001)
    proc.send_signal(signal.SIGKILL); proc.wait()
    assert contents(root) == before
    j = Journal(root); assert j.incomplete()
    j.recover('rollback')
    assert layout(root) == where and hashes(root) == before and not j.incomplete()

def test_second_process_is_refused_while_one_applies(tmp_path):
    "While one process applies, another sees no interrupted batch and every change it tries is refused; a kill then frees it."
    from mylib.engine.journal import Journal, CleaningBusy
    root = tmp_path/'ds'; files = make_dataset(root, n=60); before, where = hashes(root), layout(root)
    proc = start(journal(root) + f"j.apply({decisions(files)!r})\nprint('committed')")
    while n_ops(root, 'move') < 5: assert proc.poll() is None; time.sleep(0.001)
    j = Journal(root)
    assert j.busy() and j.incomplete() == []                   # running elsewhere is not "interrupted"
    n_records = len(j.records())
    for attempt in (lambda: j.recover('rollback'), lambda: j.recover('complete'), j.undo, lambda: j.apply({files[0]: 'delete'})):
        with pytest.raises(CleaningBusy, match='Another process'): attempt()
    assert not any(r.get('op') in ('rolled_back', 'undone') for r in j.records()[:n_records])
    proc.send_signal(signal.SIGKILL); proc.wait()
    assert not j.busy() and j.incomplete()                     # the applying process is gone: now it is interrupted
    j.recover('rollback')
    assert layout(root) == where and hashes(root) == before

def test_second_process_waits_for_a_finished_apply(tmp_path):
    "Once the applying process finishes, the other one can undo it normally."
    from mylib.engine.journal import Journal, CleaningBusy
    root = tmp_path/'ds'; files = make_dataset(root, n=20); where = layout(root)
    proc = start(journal(root) + f"j.apply({decisions(files)!r})\nprint('committed')")
    assert proc.communicate(timeout=120)[0].strip() == 'committed'
    j = Journal(root)
    assert not j.busy() and j.undo()['restored'] == 2 * 20 and layout(root) == where
