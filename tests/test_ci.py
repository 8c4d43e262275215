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
