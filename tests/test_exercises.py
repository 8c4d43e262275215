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
    page = open_lab_notebook(browser, lab, 'exercise.ipynb')
    output_of(page, 1, 'Not attempted')                                    # "Run all" on the untouched exercise
    output_of(page, 2, 'hint 1 of 2')
    type_into(page, 1, "def error_rate(probs, targets):\n    return (probs.argmax(dim=1) == targets).float().mean()\n\nex2.check(error_rate)")
    output_of(page, 1, 'Not yet')
    output_of(page, 1, 'your function returned')
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
    assert row[1:] == ['vision', '1', '1', '0'], row                     # attempted 1, correct 1, not yet 0
    assert json.loads((results/'exercises.json').read_text()) == {'vision': {'error-rate': 'correct'}}   # kept under the exercise's id
    page.close()

def test_readme_exercise_counts_match_the_sets():
    "The chapter table's exercise counts are those of the exercise sets (so they can't go stale)."
    import importlib, re
    from mylib.engine.checker import Exercise, Thought
    rows = [l.split('|') for l in (ROOT/'README.md').read_text().splitlines() if re.match(r'\| \[\d\d_', l)]
    counted = {re.match(r'\[(\w+)\]', r[1].strip()).group(1): re.sub(r'^\[(.*)\]\(.*\)$', r'\1', r[4].strip()) for r in rows if r[4].strip()}
    assert len(counted) == 8, counted
    for nb, shown in counted.items():
        mod = importlib.import_module(f"mylib.exercises.{nb.split('_', 1)[1]}")
        ex = [v for v in vars(mod).values() if isinstance(v, Exercise)]
        assert shown == f"{len(ex)} ({sum(not isinstance(e, Thought) for e in ex)} checked)", (nb, shown)
        assert len(ex) >= 6 and sum(not isinstance(e, Thought) for e in ex) >= 4, nb
