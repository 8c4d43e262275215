"mylib.engine.core from outside the notebooks: what a fresh process sees."
import json

def test_seed_reproducible_across_processes(py):
    code = ("from mylib.engine.core import seed_everything; import torch, numpy as np, random\n"
            "seed_everything(123); print(torch.randn(4).tolist(), np.random.rand(2).tolist(), random.random())")
    a, b = py(code), py(code)
    assert a.returncode == 0, a.stderr
    assert a.stdout == b.stdout and a.stdout.strip()
    c = py(code.replace('123', '124'))
    assert c.stdout != a.stdout

def test_run_size_from_environment(py):
    code = "from mylib.engine.core import run_size, by_size; print(run_size(), by_size('q', 'f'))"
    assert py(code, env={'MYLIB_SIZE': 'full'}).stdout.split() == ['full', 'f']
    assert py(code, env={'MYLIB_SIZE': 'quick'}).stdout.split() == ['quick', 'q']
    bad = py(code, env={'MYLIB_SIZE': 'enormous'})
    assert bad.returncode != 0 and "use one of ('quick', 'full')" in bad.stderr

def test_paths_and_results_follow_environment(py, tmp_path):
    env = {'MYLIB_DATA': str(tmp_path/'d'), 'MYLIB_MODELS': str(tmp_path/'m'), 'MYLIB_RESULTS': str(tmp_path/'r')}
    r = py("from mylib.engine.core import *; print(data_path(), models_path(), results_path()); save_result('ch', acc=0.75)", env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(tmp_path/'d'), str(tmp_path/'m'), str(tmp_path/'r')]
    rec = json.loads((tmp_path/'r'/'ch.json').read_text())
    assert rec['acc'] == 0.75 and rec['chapter'] == 'ch' and rec['size'] in ('quick', 'full')

def test_threads_on_cpu(py):
    r = py("from mylib.engine.core import get_device; import torch; d = get_device(); print(d.type, torch.get_num_threads())",
           env={'MYLIB_THREADS': '1'})
    dev, n = r.stdout.split()
    assert dev != 'cpu' or n == '1'

def test_data_folder_that_is_a_file(tmp_path):
    import pytest
    from fastcore.xtras import modified_env
    from mylib.engine.core import data_path
    f = tmp_path/'not_a_folder'; f.write_text('x')
    with modified_env(MYLIB_DATA=str(f)), pytest.raises(NotADirectoryError, match='point MYLIB_DATA at a folder'): data_path()
