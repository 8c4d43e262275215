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
