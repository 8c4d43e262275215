"The layout: chapters, exercises and engine apart; the engine in dependency order; old names that still import; stable exercise ids."
import ast, importlib, json, os, re, subprocess, sys, warnings
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
LIB, NBS = ROOT/'mylib', ROOT/'nbs'
BIN = Path(sys.executable).parent
LEARNER_FACING = re.compile(r'^mylib\.(workbook|exercises(\.\w+)?|vision|segmentation|tabular|collab|cleaning|deployment|foundations|nlp|train|\w+_further)$')

def _nb_cells(p:Path): return json.loads(p.read_text())['cells']
def _src(c): return ''.join(c['source'])

def notebook_modules() -> dict:
    "Each exported module: (folder, notebook number) of the notebook that exports it."
    out = {}
    for p in NBS.rglob('*.ipynb'):
        if '.ipynb_checkpoints' in p.parts: continue
        for c in _nb_cells(p):
            m = re.match(r'#\| default_exp (\S+)', _src(c))
            if m:
                name = 'mylib' if m.group(1) == '__init__' else 'mylib.' + m.group(1).removesuffix('.__init__')
                num = int(p.name.split('_')[0]) if p.name[0].isdigit() else -1
                out[name] = (p.parent.name, num)
    return out

def module_imports(f:Path, mod:str) -> set:
    "Every `mylib` module `f` imports, at the top or inside a function, absolute or relative."
    pkg = mod if f.name == '__init__.py' else mod.rpartition('.')[0]
    out = set()
    for node in ast.walk(ast.parse(f.read_text())):
        if isinstance(node, ast.Import): names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                parts = pkg.split('.'); parts = parts[:len(parts) - node.level + 1]
                base = '.'.join(parts + ([base] if base else []))
            names = [base] + [f'{base}.{a.name}' for a in node.names]
        else: continue
        out |= {n for n in names if n.startswith('mylib')}
    return out

def graph() -> dict:
    "module -> the mylib modules it imports (only modules that exist)."
    mods = {}
    for f in LIB.rglob('*.py'):
        if f.name == '_modidx.py': continue
        rel = f.relative_to(ROOT).with_suffix('')
        mods['.'.join(rel.parts).removesuffix('.__init__')] = f
    return {m: {i for i in module_imports(f, m) if i in mods and i != m} for m, f in mods.items()}

def test_three_folders_and_sidebar():
    assert {p.name for p in NBS.iterdir() if p.is_dir() and not p.name.startswith(('.', '_'))} >= {'chapters', 'exercises', 'engine'}
    assert not list(NBS.glob('[0-9]*.ipynb')), "every numbered notebook lives in chapters/, exercises/ or engine/"
    side = (NBS/'sidebar.yml').read_text()
    for title in ('Start here', 'Chapters', 'Exercises', 'Engine'): assert f'section: {title}' in side
    for p in NBS.rglob('*.ipynb'):
        if '.ipynb_checkpoints' not in p.parts: assert str(p.relative_to(NBS)) in side, f"{p} is not in the docs sidebar"
    for folder, pkg in (('engine', 'mylib/engine'), ('exercises', 'mylib/exercises')): assert (ROOT/pkg/'__init__.py').exists()

def test_no_import_cycle():
    g, state = graph(), {}
    def visit(m, path):
        if state.get(m) == 'done': return
        assert state.get(m) != 'open', f"import cycle: {' -> '.join(path + [m])}"
        state[m] = 'open'
        for n in g[m]: visit(n, path + [m])
        state[m] = 'done'
    for m in g: visit(m, [])

def test_engine_in_dependency_order():
    g, where = graph(), notebook_modules()
    engine = {m for m, (folder, _) in where.items() if folder == 'engine'}
    assert {'mylib.engine.core', 'mylib.engine.data', 'mylib.workbook'} <= engine
    for m in engine:
        for n in g.get(m, ()):
            if n == 'mylib': continue      # the package's __init__ (moved names), imported by every module
            assert n in engine, f"engine module {m} imports {n}, which is not in the engine"
            assert where[n][1] < where[m][1], f"{m} (notebook {where[m][1]:02d}) imports {n} (notebook {where[n][1]:02d}): a later one"
    chapters = {m for m, (folder, _) in where.items() if folder == 'chapters'}
    for m in chapters:        # a chapter builds on the engine and on earlier chapters
        for n in g.get(m, ()): assert n in engine or n == 'mylib' or (n in chapters and where[n][1] < where[m][1]), f"{m} imports {n}"
    assert not [n for n in g['mylib'] if n != 'mylib'], "importing mylib must not import the rest of the package"

def test_hub_does_not_fill_its_registry():
    "The recipes register explicitly when their module is imported; the hub never imports them."
    r = subprocess.run([sys.executable, '-c', "import mylib.engine.hub as h, sys; assert not h.DATASETS; assert 'mylib.engine.datasets' not in sys.modules\n"
                        "try: h.get_data('adult')\nexcept h.DataError as e: print(e)"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and 'import mylib.engine.datasets' in r.stdout, r.stderr
    r = subprocess.run([sys.executable, '-c', "from mylib.workbook import DATASETS; assert 'adult' in DATASETS"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr

def _imports_in(code:str) -> list:
    try: tree = ast.parse(code)
    except SyntaxError: return []
    return [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and (n.module or '').startswith('mylib')] + \
           [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names if a.name.startswith('mylib')]

def test_learners_import_from_the_front_doors():
    "Chapters' lesson cells and the README's code import only from the learner-facing modules."
    bad = []
    for p in sorted((NBS/'chapters').glob('*.ipynb')) + [NBS/'index.ipynb']:
        for c in _nb_cells(p):
            s = _src(c)
            if c['cell_type'] == 'code' and '#| export' not in s: codes = [re.sub(r'^\s*[!%].*$', '', s, flags=re.M)]
            elif c['cell_type'] == 'markdown': codes = re.findall(r'```python\n(.*?)```', s, re.S)
            else: continue
            bad += [(p.name, m) for code in codes for m in _imports_in(code) if not LEARNER_FACING.match(m)]
    for code in re.findall(r'```python\n(.*?)```', (ROOT/'README.md').read_text(), re.S):
        bad += [('README.md', m) for m in _imports_in(code) if not LEARNER_FACING.match(m)]
    assert not bad, f"imports from outside mylib.workbook / a chapter's module / mylib.exercises: {bad}"

def test_front_door_complete():
    import mylib.workbook as wb, mylib.exercises as ex
    assert len(wb.__all__) == len(set(wb.__all__)) and all(hasattr(wb, n) for n in wb.__all__)
    assert {'get_data', 'train_valid', 'held_out', 'evaluate_test', 'folder_dls', 'inspect_images', 'auto_fit', 'setup', 'claim'} <= set(wb.__all__)
    assert set(ex.__all__) == {'____', 'hint', 'solution', 'progress', 'reset_progress'}

OLD = [tuple(x) for x in json.loads((Path(__file__).parent/'old_names.json').read_text())]

def test_every_old_name_imports_or_says_where_it_went():
    "Each public name the package ever had (from git history): it imports, with a warning naming its new home if it moved, or its ImportError names the replacement."
    from mylib import REMOVED, new_home
    silent_moves, failures = [], []
    for mod, name in OLD:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter('always')
            try: obj = getattr(importlib.import_module(mod), name)
            except ImportError as e:
                if (mod, name) not in REMOVED or 'instead' not in str(e): failures.append((mod, name, repr(e)))
                continue
            except AttributeError as e: failures.append((mod, name, repr(e))); continue
        moved = [x for x in w if issubclass(x.category, DeprecationWarning) and 'has moved: import it from mylib' in str(x.message)]
        from mylib import MOVED_MODULES
        here = mod not in MOVED_MODULES and name in vars(sys.modules[mod])   # still there (in its __all__, or imported by the module itself)
        if not here and not moved: silent_moves.append((mod, name))
        if moved:
            target = str(moved[0].message).split('import it from ')[1].split()[0]
            assert getattr(importlib.import_module(target), name) is obj, (mod, name, target)
    assert not failures, failures
    assert not silent_moves, f"moved without a warning: {silent_moves}"
    assert len(OLD) > 300

def test_old_commands_say_what_replaced_them():
    for old, new in (('mylib.data', 'mylib-data'), ('mylib.datasets', 'mylib-data'), ('mylib.deploy', 'mylib-predict'), ('mylib.models', 'mylib-models')):
        r = subprocess.run([sys.executable, '-m', old, 'fetch', 'all'], capture_output=True, text=True)
        assert r.returncode != 0 and new in r.stderr, (old, r.returncode, r.stderr)

def test_progress_survives_inserting_an_exercise(tmp_path, monkeypatch):
    monkeypatch.setenv('MYLIB_RESULTS', str(tmp_path))
    from mylib.engine.checker import Value, progress, _load_progress
    ch = 'demo-insert'
    first = [Value(ch, 'Exercise 1', 'six times seven?', 42, id='times'), Value(ch, 'Exercise 2', 'two plus two?', 4, id='plus')]
    assert first[0].check(42).correct and first[1].check(5).status == 'not yet'
    # a new version of the set: an exercise inserted first, the others renumbered and reworded
    second = [Value(ch, 'Exercise 1', 'ten minus three?', 7, id='minus'), Value(ch, 'Exercise 2', 'What is 6 x 7?', 42, id='times'),
              Value(ch, 'Exercise 3', 'What is 2 + 2?', 4, id='plus')]
    p = _load_progress()[ch]
    assert p == {'times': {'status': 'correct'}, 'plus': {'status': 'not yet'}} and 'minus' not in p
    r = progress(ch).iloc[0]
    assert (r.exercises, r.checked, r.not_yet, r.not_attempted) == (3, 1, 1, 1)
    assert second[0].check(7).correct and _load_progress()[ch]['times'] == {'status': 'correct'}

def test_progress_under_old_display_names_moves_to_ids(tmp_path, monkeypatch):
    monkeypatch.setenv('MYLIB_RESULTS', str(tmp_path))
    (tmp_path/'exercises.json').write_text(json.dumps({'tabular': {'Exercise 3': 'correct', 'Exercise 8 (your own data)': 'answered'}}))
    from mylib.engine.checker import _load_progress
    import mylib.exercises.tabular as t
    assert _load_progress()['tabular'] == {t.ex3.id: {'status': 'correct'}, t.ex8.id: {'status': 'answered'}}

def test_exercise_ids_unique_and_set():
    for f in sorted((LIB/'exercises').glob('*.py')):
        if f.name == '__init__.py': continue
        mod = importlib.import_module(f'mylib.exercises.{f.stem}')
        exs = [v for k, v in vars(mod).items() if re.fullmatch(r'ex\d+', k)]
        ids = [e.id for e in exs]
        assert exs and all(i != e.name for i, e in zip(ids, exs)), f"{f.stem}: every exercise needs its own id="
        assert len(ids) == len(set(ids)), f"{f.stem}: duplicate ids {ids}"

def test_export_does_not_reinstall():
    "nbdev-export rewrites pyproject.toml; the install depends on its dependency lists only, so make installs nothing after it."
    if not (ROOT/'.venv'/'.mylib-installed').exists(): pytest.skip('needs the make-built .venv')
    subprocess.run([str(BIN/'nbdev-export')], cwd=ROOT, check=True, capture_output=True)
    r = subprocess.run(['make', '--no-print-directory', 'install'], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0 and 'pip install' not in r.stdout, r.stdout
    sys.path.insert(0, str(ROOT/'.ci'))
    import deps
    before = deps.deps_text(ROOT/'pyproject.toml')
    changed = (ROOT/'pyproject.toml').read_text().replace('cell_timeout = 900', 'cell_timeout = 901')
    (p := Path(os.environ.get('TMPDIR', '/tmp'))/'pyproject-test.toml').write_text(changed)
    assert deps.deps_text(p) == before

def _doc_commands() -> set:
    "The shell commands the README and data/README.md show (mylib-*, python -m mylib..., make ...)."
    text = (ROOT/'README.md').read_text() + (ROOT/'data'/'README.md').read_text()
    cmds = set(re.findall(r'`((?:mylib-\w+|python -m mylib[\w.]*|make \w+)[^`]*)`', text))
    for block in re.findall(r'```sh\n(.*?)```', text, re.S):
        cmds |= {l.split('#')[0].strip() for l in block.splitlines() if re.match(r'(mylib-|python -m mylib|make )', l.strip())}
    return cmds

def test_documented_commands_run():
    "Every command the docs show exists: make targets dry-run, the rest answer --help (list runs as is)."
    cmds = _doc_commands()
    assert {'make lab', 'make test', 'mylib-data list'} <= cmds, cmds
    for c in sorted(cmds):
        words = c.split()
        if words[0] == 'make':
            target = next((w for w in words[1:] if '=' not in w), None)
            r = subprocess.run(['make', '-n', target, *[w for w in words[1:] if '=' in w]], cwd=ROOT, capture_output=True, text=True)
        else:
            if words[0] == 'python': words = [sys.executable, *words[1:]]
            else: words[0] = str(BIN/words[0])
            heavy = not (c.startswith('mylib-data list'))
            r = subprocess.run(words[:3 if words[0] == sys.executable else 1] + ['--help'] if heavy else words, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"{c!r} failed: {r.stderr[-500:]}"

def test_links_between_notebooks_resolve():
    "A notebook's links to other notebooks (relative, as the docs site needs them) point at files that exist."
    broken = []
    for p in NBS.rglob('*.ipynb'):
        if '.ipynb_checkpoints' in p.parts: continue
        for c in _nb_cells(p):
            if c['cell_type'] != 'markdown': continue
            for link in re.findall(r'\]\(([^)#\s]+\.ipynb)', _src(c)):
                if not link.startswith('http') and not (p.parent/link).exists(): broken.append((str(p.relative_to(NBS)), link))
    assert not broken, broken

TRAINING_CHAPTERS = ['01_data', '10_vision', '11_segmentation', '12_tabular', '13_collab', '20_cleaning', '21_deployment', '40_nlp']

def test_chapters_teach_first():
    "A chapter that trains with fastai has a trained model within its first five code cells, and exports nothing: its definitions live in the engine."
    for name in TRAINING_CHAPTERS:
        codes = [_src(c) for c in _nb_cells(NBS/'chapters'/f'{name}.ipynb') if c['cell_type'] == 'code']
        assert re.search(r'\.(fine_tune|fit_one_cycle|fit)\(', '\n'.join(codes[:5])), f"{name}: no training in its first five code cells"
        assert not [s for s in codes if s.startswith(('#| export', '#| default_exp'))], f"{name} exports code: move it to an engine notebook"
