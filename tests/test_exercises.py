"Exercises for real: a learner types answers into a chapter's exercise cell in JupyterLab and sees the checks respond."
import json
from conftest import ROOT, write_notebook, open_lab_notebook

ARTIFACTS = ROOT/'test-artifacts'

def output_of(page, i:int, text:str):
    "Wait until cell `i`'s output contains `text`."
    page.wait_for_function("([i, t]) => { const c = document.querySelectorAll('.jp-Notebook .jp-Cell')[i];"
                           " return c && c.querySelector('.jp-OutputArea') && c.querySelector('.jp-OutputArea').innerText.includes(t); }",
                           arg=[i, text])

def type_into(page, i:int, code:str):
    "Replace the code of cell `i` by `code`, as a learner typing it, and run the cell."
    editor = page.locator('.jp-Notebook .jp-Cell').nth(i).locator('.cm-content')
    editor.click()
    page.keyboard.press('Control+A'); page.keyboard.press('Delete')
    page.keyboard.insert_text(code)
    page.keyboard.press('Shift+Enter')

def test_exercise_check_hint_and_progress_in_jupyterlab(lab, browser, tmp_path):
    results = tmp_path/'results'
    write_notebook(lab[2]/'exercise.ipynb',
                   f"import os; os.environ['MYLIB_RESULTS'] = {str(results)!r}   # this test's progress, not yours\n"
                   "from mylib.exercises import ____, progress\nfrom mylib.exercises.vision import *",
                   "def error_rate(probs, targets):\n    return ____\n\nex2.check(error_rate)",
                   "ex2.hint()",
                   "progress('vision')")
    import mylib.exercises.vision as vision
    from mylib.engine.checker import Exercise
    n = sum(isinstance(v, Exercise) for v in vars(vision).values())
    page = open_lab_notebook(browser, lab, 'exercise.ipynb')
    output_of(page, 1, 'Not attempted')                                    # "Run all" on the untouched exercise
    output_of(page, 3, f'Nothing attempted yet: {n} exercises in vision')   # and progress says so, with the count
    output_of(page, 2, 'hint 1 of 2')
    type_into(page, 1, "def error_rate(probs, targets):\n    return (probs.argmax(dim=1) == targets).float().mean()\n\nex2.check(error_rate)")
    output_of(page, 1, 'Not yet')
    output_of(page, 1, 'your function returned')
    output_of(page, 1, 'ex2.hint() gives a hint')                           # the message names the call that works
    page.locator('.jp-Notebook .jp-Cell').nth(2).locator('.cm-content').click(); page.keyboard.press('Shift+Enter')
    output_of(page, 2, 'hint 2 of 2')                                      # the next hint each time
    type_into(page, 1, "def error_rate(probs, targets):\n    return (probs.argmax(dim=1) != targets).float().mean()\n\nex2.check(error_rate)")
    output_of(page, 1, 'Correct')
    page.locator('.jp-Notebook .jp-Cell').nth(3).locator('.cm-content').click(); page.keyboard.press('Shift+Enter')
    page.wait_for_function("() => { const t = document.querySelectorAll('.jp-Notebook .jp-Cell')[3].querySelector('.jp-OutputArea table');"
                           " return t && t.innerText.includes('vision'); }")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS/'exercise_jupyterlab.png'), full_page=True)
    row = page.locator('.jp-Notebook .jp-Cell').nth(3).locator('table tbody tr').first.inner_text().split()
    assert row[1:4] == ['vision', str(n), '1'] and row[-1] == str(n - 1), row   # n exercises, 1 checked correct, the rest not attempted
    assert json.loads((results/'exercises.json').read_text()) == {'vision': {'error-rate': {'status': 'correct'}}}   # under its id
    page.close()

def test_prediction_typed_run_and_compared_in_jupyterlab(lab, browser, tmp_path):
    "A learner types a prediction, checks it, runs the experiment the exercise provides and reads the comparison."
    results = tmp_path/'results'
    write_notebook(lab[2]/'predict.ipynb',
                   f"import os; os.environ['MYLIB_RESULTS'] = {str(results)!r}   # this test's progress, not yours\n"
                   "from mylib.exercises import ____, progress\nfrom mylib.exercises.data import *",
                   "prediction3 = ____\nex3.check(prediction3)",
                   "ex3.run()")
    page = open_lab_notebook(browser, lab, 'predict.ipynb')
    output_of(page, 2, 'write your prediction first')                      # "Run all": nothing to run yet, no experiment spent
    type_into(page, 1, "prediction3 = 'lower'\nex3.check(prediction3)")
    output_of(page, 1, "you predicted 'lower'. Now run the experiment: ex3.run()")
    page.locator('.jp-Notebook .jp-Cell').nth(2).locator('.cm-content').click(); page.keyboard.press('Shift+Enter')
    page.wait_for_function("() => { const c = document.querySelectorAll('.jp-Notebook .jp-Cell')[2].querySelector('.jp-OutputArea');"
                           " return c && c.innerText.includes('the run shows'); }", timeout=300_000)
    text = page.locator('.jp-Notebook .jp-Cell').nth(2).locator('.jp-OutputArea').inner_text()
    assert "you predicted 'lower'; the run shows 'higher'" in text and 'overshoot' in text and 'lr 0.1' in text, text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS/'prediction_jupyterlab.png'), full_page=True)
    rec = json.loads((results/'exercises.json').read_text())['data']['lr-10x']
    assert rec == {'status': 'predicted otherwise', 'prediction': 'lower', 'outcome': 'higher'}, rec
    page.close()

def test_readme_exercise_counts_match_the_sets():
    "The chapter table's exercise counts are those of the exercise sets (so they can't go stale)."
    import importlib, re
    from mylib.engine.checker import Exercise, Thought
    rows = [l.split('|') for l in (ROOT/'README.md').read_text().splitlines() if re.match(r'\| \[\d\d_', l)]
    counted = {re.match(r'\[(\w+)\]', r[1].strip()).group(1): re.sub(r'^\[(.*)\]\(.*\)$', r'\1', r[4].strip()) for r in rows if r[4].strip()}
    assert len(counted) == 9, counted
    for nb, shown in counted.items():
        mod = importlib.import_module(f"mylib.exercises.{nb.split('_', 1)[1]}")
        ex = [v for v in vars(mod).values() if isinstance(v, Exercise)]
        assert shown == f"{len(ex)} ({sum(not isinstance(e, Thought) for e in ex)} checked)", (nb, shown)
        assert len(ex) >= 6 and sum(not isinstance(e, Thought) for e in ex) >= 4, nb

def test_progress_survives_two_processes_at_once(tmp_path):
    "Two notebooks recording at the same moment lose nothing: every write holds a lock and replaces the file whole."
    import os, subprocess, sys
    code = ("import sys\nfrom mylib.engine.checker import Value\n"
            "for i in range(40): Value('conc', f'Exercise {i}', 'one?', 1, id=f'{sys.argv[1]}-{i}').check(1)")
    env = {**os.environ, 'MYLIB_RESULTS': str(tmp_path)}
    procs = [subprocess.Popen([sys.executable, '-c', code, who], env=env) for who in ('a', 'b')]
    assert all(p.wait(timeout=600) == 0 for p in procs)
    p = json.loads((tmp_path/'exercises.json').read_text())['conc']
    assert len(p) == 80 and all(r == {'status': 'correct'} for r in p.values())
    assert not [f for f in tmp_path.iterdir() if f.name.endswith('.tmp')]    # no half-written file left behind

def test_unreadable_progress_is_set_aside_not_lost(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv('MYLIB_RESULTS', str(tmp_path))
    (tmp_path/'exercises.json').write_text('{"vision": {"error-rate": "corr')          # a write cut short by a crash
    from mylib.engine.checker import Value, progress
    ex = Value('unreadable', 'Exercise 1', 'one?', 1, id='one')
    assert progress('unreadable').iloc[0].not_attempted == 1                       # reading it reports, never raises
    assert 'could not be read' in capsys.readouterr().err
    assert ex.check(1).correct                                                     # the next write sets it aside
    aside = list(tmp_path.glob('exercises.unreadable-*.json'))
    assert len(aside) == 1 and aside[0].read_text() == '{"vision": {"error-rate": "corr'
    assert 'set aside' in capsys.readouterr().err
    assert json.loads((tmp_path/'exercises.json').read_text()) == {'unreadable': {'one': {'status': 'correct'}}}

def test_messages_and_honest_progress(tmp_path, monkeypatch):
    "Wrong answers say how they are wrong and which call helps; a solution seen first and self-assessments are counted apart."
    monkeypatch.setenv('MYLIB_RESULTS', str(tmp_path))
    from mylib.engine.checker import Value, Thought, progress, hint, solution
    v = Value('honest', 'Exercise 1', 'six times seven?', 42, id='times', hints=['Six sevens.'], solution='42')
    t = Thought('honest', 'Exercise 2', 'Why a test set?', id='why', solution='An honest last number.')
    assert v.check(40).message == 'got 40: too small — ex1.hint() gives a hint'
    assert v.check(50).message.startswith('got 50: too large') and hint().title == 'Exercise 1: hint 1 of 1'
    solution(); assert v.check(42).correct
    assert t.check('so the final figure is not tuned').status == 'answered' and 'An honest last number.' in t.check('x').message
    t.understood(False)
    r = progress('honest').iloc[0]
    assert (r.checked, r.after_solution, r.understood, r.to_review) == (0, 1, 0, 1)

# --- hostile answers and a hostile progress file -------------------------------------------------------------------------

RECORD = """
import sys
from mylib.engine.checker import Value
bad = 0
for i in range(75):
    r = Value('conc', f'Exercise {i}', 'one?', 1, id=f'{sys.argv[1]}-{i}').check(1)
    bad += not r.correct
print(bad)
"""

def test_progress_survives_four_processes_at_once(tmp_path):
    "Four kernels recording 75 results each at the same moment (and a fifth resetting another chapter): all 300 are kept."
    import os, subprocess, sys
    env = {**os.environ, 'MYLIB_RESULTS': str(tmp_path)}
    (tmp_path/'exercises.json').write_text(json.dumps({'other': {'x': {'status': 'correct'}}, 'keep': {'y': {'status': 'correct'}}}))
    procs = [subprocess.Popen([sys.executable, '-c', RECORD, w], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for w in 'abcd']
    procs.append(subprocess.Popen([sys.executable, '-c', "from mylib.engine.checker import reset_progress\nreset_progress('other')"],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outs = [p.communicate(timeout=900) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e[-2000:] for _, e in outs]
    assert [o.strip() for o, _ in outs[:4]] == ['0'] * 4 and not any('mylib:' in e for _, e in outs), outs
    p = json.loads((tmp_path/'exercises.json').read_text())
    assert len(p['conc']) == 300 and all(r == {'status': 'correct'} for r in p['conc'].values())
    assert 'other' not in p and p['keep'] == {'y': {'status': 'correct'}}
    assert sorted(f.name for f in tmp_path.iterdir()) == ['.exercises.lock', 'exercises.json']   # no temporary file left

def test_writer_killed_mid_write_loses_nothing(tmp_path):
    "A kernel SIGKILLed while it holds the lock and writes: the file is the old one, whole; the lock is free; the next check records."
    import os, signal, subprocess, sys
    from mylib.engine.checker import Value
    env = {**os.environ, 'MYLIB_RESULTS': str(tmp_path)}
    (tmp_path/'exercises.json').write_text(json.dumps({'old': {'x': {'status': 'correct'}}}))
    code = ("import os, signal, mylib.engine.checker as c\n"
            "real = c.json.dumps\n"
            "def dying(*a, **k):\n    s = real(*a, **k)\n    os.write(1, b'writing\\n'); os.kill(os.getpid(), signal.SIGKILL)\n"
            "c.json.dumps = dying\nc.Value('new', 'Exercise 1', 'one?', 1, id='one').check(1)")
    r = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == -signal.SIGKILL and 'writing' in r.stdout, r.stderr[-2000:]
    assert json.loads((tmp_path/'exercises.json').read_text()) == {'old': {'x': {'status': 'correct'}}}
    os.environ['MYLIB_RESULTS'] = str(tmp_path)
    try: assert Value('new', 'Exercise 1', 'one?', 1, id='one').check(1).correct
    finally: del os.environ['MYLIB_RESULTS']
    assert json.loads((tmp_path/'exercises.json').read_text()) == {'old': {'x': {'status': 'correct'}}, 'new': {'one': {'status': 'correct'}}}

def test_progress_never_written_through_a_link(tmp_path, monkeypatch, capsys):
    "A progress file (or its lock) that is a symbolic link is refused with a message: the file it points at is never touched."
    import pytest
    from mylib.engine.checker import Value, reset_progress, progress, ProgressError
    monkeypatch.setenv('MYLIB_RESULTS', str(tmp_path/'r'))
    (tmp_path/'r').mkdir()
    target = tmp_path/'precious.txt'; target.write_text('not progress')
    valid = tmp_path/'valid.json'; valid.write_text(json.dumps({'links': {'one': {'status': 'correct'}}}))
    ex = Value('links', 'Exercise 1', 'one?', 1, id='one')
    for aim in (target, valid, tmp_path/'missing.json'):
        link = tmp_path/'r'/'exercises.json'; link.unlink(missing_ok=True); link.symlink_to(aim)
        assert ex.check(1).correct                                      # the check itself still answers...
        assert 'symbolic link' in capsys.readouterr().err                # ...and says why it was not recorded
        with pytest.raises(ProgressError, match='symbolic link'): reset_progress()
        with pytest.raises(ProgressError, match='symbolic link'): reset_progress('links')
        assert link.is_symlink() and not (tmp_path/'missing.json').exists()
        progress('links'); assert 'symbolic link' in capsys.readouterr().err
    assert target.read_text() == 'not progress' and json.loads(valid.read_text()) == {'links': {'one': {'status': 'correct'}}}
    link.unlink(); (tmp_path/'r'/'exercises.json').mkdir()                # a folder where the file should be
    with pytest.raises(ProgressError, match='a folder'): reset_progress()
    (tmp_path/'r'/'exercises.json').rmdir()
    (tmp_path/'r'/'.exercises.lock').unlink(missing_ok=True); (tmp_path/'r'/'.exercises.lock').symlink_to(target)
    with pytest.raises(ProgressError): reset_progress()
    assert target.read_text() == 'not progress'

def test_every_kind_of_damage_is_set_aside_not_lost(tmp_path, monkeypatch, capsys):
    "Damaged progress of every kind, twice in the same second, and a reset of everything: each file is kept aside, with a message."
    from mylib.engine.checker import Value, reset_progress
    monkeypatch.setenv('MYLIB_RESULTS', str(tmp_path))
    ex = Value('damage', 'Exercise 1', 'one?', 1, id='one')
    damages = [b'{"vision": {"error-rate": "corr', b'\xff\xfe\x00garbage', b'[1, 2]', b'{"vision": [1]}', b'', b'null',
               b'\xef\xbb\xbf{"a": {"b": 5}}', b'{"a": {"b": 5}}', b'[' * 100_000]
    for i, bad in enumerate(damages):
        (tmp_path/'exercises.json').write_bytes(bad)
        if i == len(damages) - 1: reset_progress()
        else: assert ex.check(1).correct
        assert 'set aside' in capsys.readouterr().err, bad[:40]
    kept = sorted(p.read_bytes() for p in tmp_path.glob('exercises.unreadable-*.json'))
    assert kept == sorted(damages)                                         # every one, none overwritten
    assert json.loads((tmp_path/'exercises.json').read_text()) == {}

def test_answers_that_escape_or_fool_the_check(tmp_path, monkeypatch):
    "sys.exit, inputs changed in place, objects equal to everything, huge answers, None as a written answer: each gets its verdict."
    import sys, numpy as np, pandas as pd, torch, pytest
    from mylib.engine.checker import Value, Function, Thought, Quiz, progress
    monkeypatch.setenv('MYLIB_RESULTS', str(tmp_path))
    f = Function('fool', 'Exercise 1', 'the sum of a list', [(([1, 2],), 3), (([5],), 5), ((torch.tensor([1., 2.]),), 3.)])
    for exit_ in (lambda xs: sys.exit(), lambda xs: sys.exit(1), lambda xs: exit('bye'), lambda xs: (_ for _ in ()).throw(SystemExit)):
        r = f.check(exit_); assert r.status == 'your error' and 'exit' in r.message, r
    def gen_exit(xs): raise GeneratorExit()
    assert f.check(gen_exit).status == 'your error'
    def interrupted(xs): raise KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt): f.check(interrupted)             # Ctrl-C still stops a check
    def changes(xs):
        if isinstance(xs, list): xs.append(100); return sum(xs) - 100
        xs += 1; return float(xs.sum()) - 2
    assert f.check(changes).correct and f.cases[0][0] == ([1, 2],) and f.cases[2][0][0].tolist() == [1., 2.]
    class Everything:
        def __eq__(self, other): return True
        def __ne__(self, other): return False
        __hash__ = object.__hash__
    class EqInt(int):
        def __eq__(self, other): return True
        __hash__ = int.__hash__
    class EqStr(str):
        def __eq__(self, other): return True
        __hash__ = str.__hash__
    class EqList(list):
        def __eq__(self, other): return True
    class EqDict(dict):
        def __eq__(self, other): return True
    wants = [3, 3.5, 'abc', (1, 2), [1, 2], {'a': 1}, None, True, torch.tensor([1., 2.]), np.array([1, 2]), pd.DataFrame({'a': [1]}),
             ('dog', 0.7), [('a', 1)]]
    for i, want in enumerate(wants):
        v = Value('fool', f'Exercise {i + 2}', '?', want, id=f'v{i}')
        for cheat in (Everything(), EqInt(99), EqStr('zzz'), EqList([9]), EqDict(z=9)):
            r = v.check(cheat); assert r.status in ('not yet', 'your error') and not r.correct, (want, type(cheat).__name__, r)
        g = Function('fool', f'Exercise {i + 20}', '?', [((), want)], id=f'f{i}')
        assert not g.check(lambda: Everything()).correct
    huge = [list(range(10**6)), 'x' * 10**7, {i: i for i in range(10**5)}, torch.zeros(10**6), np.zeros(10**6)]
    class HugeRepr:
        def __repr__(self): return 'y' * 10**6
    class HugeError(Exception): pass
    def raises_huge(xs): raise HugeError('z' * 10**6)
    for h in [*huge, HugeRepr()]:
        r = Value('fool', 'Exercise 40', '?', 3, id='huge').check(h); assert len(r.message) < 400 and not r.correct, len(r.message)
    assert len(f.check(raises_huge).message) < 800
    t = Thought('fool', 'Exercise 41', 'why?', id='why', solution='because')
    for none_like in (None, 42, ['words'], b'bytes', '', '   '):
        r = t.check(none_like); assert r.status == 'not attempted', (none_like, r)
    assert progress('fool').iloc[0].to_assess == 0                          # nothing counted as written
    assert t.check('because of the test set').status == 'answered'

def test_checks_run_with_gradients_whatever_the_notebook_left_on(tmp_path, monkeypatch):
    "A global torch.no_grad(), set_grad_enabled(False) or inference mode left on in the notebook doesn't turn a right answer into 'your error'."
    import torch
    from mylib.engine.checker import Value, Function, Prediction
    monkeypatch.setenv('MYLIB_RESULTS', str(tmp_path))
    def slope():
        x = torch.tensor(3., requires_grad=True); (x ** 2).backward(); return float(x.grad)
    v = Value('grad', 'Exercise 1', 'the slope of x² at 3', slope)
    def grad_of_square(x):
        x = x.clone().requires_grad_(); (x ** 2).sum().backward(); return x.grad
    f = Function('grad', 'Exercise 2', 'the gradient of sum(x²)', [((torch.tensor([1., 2.]),), torch.tensor([2., 4.]))])
    p = Prediction('grad', 'Exercise 3', 'does it learn?', ['yes', 'no'], lambda: ('yes' if slope() == 6 else 'no', 'ran'), {'yes': 'it does', 'no': 'no'})
    modes = {'no_grad': torch.no_grad, 'set_grad_enabled': lambda: torch.set_grad_enabled(False), 'inference_mode': torch.inference_mode}
    for mode, make in modes.items():                  # made one at a time: calling set_grad_enabled(False) switches grad off at once
        with make():
            assert v.check(6).correct and f.check(grad_of_square).correct, mode
            assert p.check('yes').status == 'predicted' and p.run().status == 'correct', mode
