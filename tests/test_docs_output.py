"What the docs site shows: `.ci/execute_docs.py` runs a chapter and saves outputs a reader should see, without noise."
import json, os, re, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = {'01_data': (5, 0), '12_tabular': (2, 1), '13_collab': (3, 1), '30_foundations': (10, 1)}   # at least these figures and epoch tables

def _texts(o) -> list[str]:
    "Every text an output carries (printed text, or its text/plain and text/html)."
    if o['output_type'] == 'stream': return [''.join(o['text'])]
    if o['output_type'] == 'error': return ['\n'.join(o.get('traceback', []))]
    return [''.join(v) for k, v in o.get('data', {}).items() if k.startswith('text/')]

@pytest.fixture(scope='module')
def executed(tmp_path_factory):
    "The four chapters the issue checked on the site, run as the docs workflow runs them (copies, results kept out of the project)."
    d = tmp_path_factory.mktemp('docs'); (d/'chapters').mkdir()
    nbs = [shutil.copy(ROOT/'nbs'/'chapters'/f'{n}.ipynb', d/'chapters') for n in PAGES]
    env = {**os.environ, 'MYLIB_RESULTS': str(d/'results'), 'MYLIB_THREADS': '1'}
    r = subprocess.run([sys.executable, str(ROOT/'.ci'/'execute_docs.py'), *map(str, nbs)], cwd=d, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    return {Path(p).stem: json.loads(Path(p).read_text()) for p in nbs}

def outputs(nb): return [o for c in nb['cells'] if c['cell_type'] == 'code' for o in c['outputs']]

@pytest.mark.parametrize('name', PAGES)
def test_saved_outputs_are_clean(executed, name):
    outs = outputs(executed[name])
    texts = [t for o in outs for t in _texts(o)]
    assert not [t for t in texts if '\r' in t or '\x1b' in t], 'carriage-return or terminal-code lines'
    assert not [t for t in texts if re.search(r'\b0x[0-9a-f]{6,}', t)], 'a memory address'
    assert not [t for t in texts if re.search(r'\w+Warning\b', t)], 'a library warning'
    assert not [o for o in outs if o['output_type'] == 'stream' and o['name'] == 'stderr'], 'text on stderr'
    assert not [o for o in outs if o['output_type'] == 'error']
    assert not [o for o in outs if 'application/vnd.jupyter.widget-view+json' in o.get('data', {})], 'a widget saved without state'
    bars = [t for t in texts if '<progress' in t]
    assert not bars, 'a progress bar left half-way: saved outputs keep only the epoch table'

def test_expected_figures_and_epoch_tables(executed):
    for name, (figures, tables) in PAGES.items():
        outs = outputs(executed[name])
        assert sum('image/png' in o.get('data', {}) for o in outs) >= figures, name
        epoch_tables = [t for o in outs for t in _texts(o) if 'class="fastprogress"' in t and '<th>epoch</th>' in t]
        assert len(epoch_tables) >= tables, name

def test_tabular_results_show_labels_not_codes(executed):
    nb = executed['12_tabular']
    cell = next(c for c in nb['cells'] if c['cell_type'] == 'code' and 'predicted=' in ''.join(c['source']))
    html = ''.join(cell['outputs'][-1]['data']['text/html'])
    assert '<th>predicted</th>' in html and re.search(r'<td>(&lt;=50K|&gt;50K)</td>', html) and 'Private' in html
