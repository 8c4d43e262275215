"The suite's notebook runner (.ci/nbtest.py): nbdev-test's notebooks started longest first, their results in name order."
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def runner():
    spec = importlib.util.spec_from_file_location('nbtest', ROOT/'.ci'/'nbtest.py')
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
    return m

def test_longest_first_results_in_name_order(tmp_path):
    m = runner()
    (tmp_path/'RESULTS.md').write_text('| notebook | seconds |\n|---|---|\n| 10_b.ipynb | 200 |\n| 40_c.ipynb | 350 |\n')
    started, items = [], [Path('00_a.ipynb'), Path('10_b.ipynb'), Path('40_c.ipynb')]
    out = m.parallel_longest_first(lambda p: started.append(p.name) or p.stem, items, n_workers=0,
                                   secs=m.expected_secs(tmp_path/'RESULTS.md'))
    assert started == ['40_c.ipynb', '10_b.ipynb', '00_a.ipynb']     # by the table; a notebook not in it last
    assert list(out) == ['00_a', '10_b', '40_c']                         # nbdev-test pairs results with files by position

def test_it_reads_the_committed_notebook_times():
    assert runner().expected_secs().get('40_nlp.ipynb', 0) > 60

def test_the_python_floor_is_the_one_ci_runs():
    "pyproject's requires-python, the Makefile's check and every workflow's python-version state one version."
    import re, tomllib
    floor = re.fullmatch(r'>=(\d+\.\d+)', tomllib.loads((ROOT/'pyproject.toml').read_text())['project']['requires-python']).group(1)
    major, minor = floor.split('.')
    assert f'sys.version_info >= ({major}, {minor})' in (ROOT/'Makefile').read_text()
    for wf in (ROOT/'.github'/'workflows').glob('*.yaml'):
        versions = re.findall(r'python-version:\s*"([\d.]+)"', wf.read_text())
        assert versions and set(versions) == {floor}, (wf.name, versions)

def test_workflow_actions_run_on_a_supported_node():
    "No action at a major version that runs on Node 20 (retired by GitHub in 2026)."
    import re
    node20 = {'actions/checkout': 4, 'actions/setup-python': 5, 'actions/upload-pages-artifact': 4, 'actions/deploy-pages': 4,
              'actions/configure-pages': 5, 'actions/upload-artifact': 5}
    for wf in (ROOT/'.github'/'workflows').glob('*.yaml'):
        for name, major in re.findall(r'uses:\s*([\w-]+/[\w-]+)@v(\d+)', wf.read_text()):
            assert int(major) > node20.get(name, -1), f"{wf.name}: {name}@v{major} runs on Node 20"
