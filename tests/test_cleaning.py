"The cleaning widget for real: the journal's crash safety on real files, and the widget in JupyterLab and Voila."
import json, shutil, subprocess, sys, os
from pathlib import Path
import pytest
from conftest import ROOT, run_py, write_notebook, open_lab_notebook, free_port, wait_http

ARTIFACTS = ROOT/'test-artifacts'

def small_dataset(dest:Path, n:int=10) -> dict:
    "Copy `n` real face and `n` non-face photos into `dest/{train,valid}/<label>/`; return their bytes by path."
    from mylib.engine.data import get_data
    src = get_data('lfw_faces')
    for split in ('train', 'valid'):
        for label in ('face', 'not_face'):
            (dest/split/label).mkdir(parents=True)
            for f in sorted((src/split/label).glob('*.png'))[:n if split == 'train' else 2]: shutil.copy(f, dest/split/label/f.name)
    return snapshot(dest)

def snapshot(root:Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob('*.png') if '.cleaning' not in p.parts}

def all_bytes(root:Path) -> list:
    return sorted(p.read_bytes() for p in root.rglob('*.png'))

def test_crash_between_journal_and_move_loses_nothing(tmp_path):
    "A process killed after journalling a move but before making it: the next process recovers, both ways."
    root = tmp_path/'ds'; before = small_dataset(root)
    files = sorted(str(p) for p in (root/'train'/'face').glob('*.png'))[:3]
    code = (f"import os\nimport mylib.engine.journal as jr\nreal, n = jr.move_no_clobber, [0]\n"
            f"def dies(src, dst):\n    if n[0] == 1: os._exit(9)   # the second move is journalled, then the process dies\n"
            f"    n[0] += 1; real(src, dst)\n"
            f"jr.move_no_clobber = dies\n"
            f"jr.Journal({str(root)!r}).apply({{{files[0]!r}: 'delete', {files[1]!r}: 'not_face', {files[2]!r}: 'delete'}})")
    r = run_py(code); assert r.returncode == 9, r.stderr
    # nothing lost even before recovery: every original byte string is somewhere under root
    assert all_bytes(root) == sorted(before.values())
    r = run_py(f"from mylib.engine.journal import Journal\nj = Journal({str(root)!r})\nassert j.incomplete()\nprint(j.recover('rollback'))")
    assert r.returncode == 0, r.stderr
    assert snapshot(root) == before
    # the same crash, completed instead
    run_py(code)
    r = run_py(f"from mylib.engine.journal import Journal\nprint(Journal({str(root)!r}).recover('complete'))")
    assert r.returncode == 0, r.stderr
    assert not Path(files[0]).exists() and not Path(files[1]).exists() and (root/'train'/'not_face'/Path(files[1]).name).exists()
    assert all_bytes(root) == sorted(before.values())
    # and a completed batch can be undone
    r = run_py(f"from mylib.engine.journal import Journal\nprint(Journal({str(root)!r}).undo())")
    assert r.returncode == 0, r.stderr
    assert snapshot(root) == before

def test_csv_round_trip_and_bad_csv(tmp_path):
    from mylib.cleaning import Decisions
    d = Decisions({'a.png': 'delete', 'b.png': 'keep', 'c.png': 'face'})
    d.to_csv(tmp_path/'d.csv')
    assert Decisions.from_csv(tmp_path/'d.csv', classes=['face', 'not_face']) == d
    (tmp_path/'bad.csv').write_text('file,label\na.png,face\n')
    with pytest.raises(ValueError, match="expected columns 'path,action'"): Decisions.from_csv(tmp_path/'bad.csv')
    (tmp_path/'bad2.csv').write_text('path,action\na.png,cat\n')
    with pytest.raises(ValueError, match='unknown actions'): Decisions.from_csv(tmp_path/'bad2.csv', classes=['face'])

def fixed_ranking(root:Path):
    "The images of `root` in path order as a ranking whose model calls everything 'not_face': right on the non-faces, wrong on the faces."
    import pandas as pd
    paths = sorted(str(p) for p in root.rglob('*.png'))
    return pd.DataFrame(dict(path=paths, split=[Path(p).parts[-3] for p in paths], label=[Path(p).parent.name for p in paths],
                             pred='not_face', prob=0.9, loss=[float(len(paths) - i) for i in range(len(paths))]))

def test_keys_and_page_buttons(tmp_path):
    "press() as the keyboard drives it: move, keep/delete/relabel-and-move-on, pages, larger view; then the page buttons."
    from mylib.cleaning import ImageCleaner
    root = tmp_path/'ds'; before = small_dataset(root, n=4)   # pages of 4: train faces, train non-faces, valid faces and non-faces
    c = ImageCleaner(fixed_ranking(root), root, per_page=4, estimate=5)
    paths = list(c.ranking.path)
    current = lambda: [i for i, cell in enumerate(c.cells) if 'mylib-clean-current' in cell._dom_classes]
    dropdown = lambda i: c.cells[i].children[2].value
    assert (c.page, c.cursor, current()) == (0, 0, [0]) and c.cells[0].layout.border.endswith('#e8590c')
    assert 'k keep' in c.keys_help.value and 'about 5 of the 5 estimated' in c.summary.value
    c.press('k'); c.press('d'); c.press('r')
    assert c.decisions == {paths[0]: 'keep', paths[1]: 'delete', paths[2]: 'not_face'} and (c.page, c.cursor, current()) == (0, 3, [3])
    assert [dropdown(i) for i in range(3)] == ['keep', 'delete', 'not_face']     # the page shows what the keys decided
    assert c.summary.value.startswith('2 pending: 1 delete, 1 relabel') and 'about 3 of the 5' in c.summary.value
    c.press('ArrowLeft'); c.press('j'); assert c.cursor == 1
    c.press('l'); c.press('ArrowRight'); assert c.cursor == 3
    c.press('D')                                                              # caps lock on: the same key
    assert c.decisions[paths[3]] == 'delete' and (c.page, c.cursor) == (1, 0)   # past the last item of the page: the next page
    # r on an item the model agrees with: nothing recorded, the cursor stays, and it says why
    c.press('r')
    assert paths[4] not in c.decisions and (c.page, c.cursor) == (1, 0) and 'nothing to relabel' in c.status.value
    c.press('x'); c.press('Shift'); assert len(c.decisions) == 4             # keys that mean nothing do nothing
    c.press('j'); assert (c.page, c.cursor) == (0, 3)                          # back past the first item: the previous page's last
    c.press('n'); c.press('n'); assert (c.page, c.cursor) == (2, 0)
    c.press('n'); assert c.page == 2 and 'last page' in c.status.value
    c.press('p'); assert (c.page, c.cursor) == (1, 0)
    c._on_key(dict(type='keydown', key='k', ctrlKey=True)); assert paths[4] not in c.decisions   # Ctrl+K is the browser's
    c._on_key(dict(type='keydown', key='k', timeStamp=12.5)); assert c.decisions[paths[4]] == 'keep' and c.cursor == 1
    c._on_key(dict(type='keydown', key='k', timeStamp=12.5)); assert paths[5] not in c.decisions and c.cursor == 1   # one press sent twice
    c._on_key(dict(type='keyup', key='d', timeStamp=13.0)); assert paths[5] not in c.decisions
    # the larger view: three times the thumbnail, follows the current item, closes again
    assert c.preview.layout.display == 'none'
    c.press('z')
    img, cap = c.preview.children
    assert c.preview.layout.display is None and Path(paths[5]).name in cap.value and 'not_face' in cap.value
    from PIL import Image; import io
    assert Image.open(io.BytesIO(img.value)).width == 3 * c.thumb
    c.press('l'); assert Path(paths[6]).name in cap.value
    c.zoom_btn.click(); assert c.preview.layout.display == 'none'
    c.press('?'); assert c.keys_help.layout.display == 'none'; c.press('?'); assert c.keys_help.layout.display is None
    # page buttons: relabel all to the predictions (the ones it agrees with stay keep), keep all
    c.press('p'); c.relabel_btn.click()
    assert [c.decisions[p] for p in paths[:4]] == ['not_face'] * 4 and 'about 1 of the 5' in c.summary.value
    assert [dropdown(i) for i in range(4)] == ['not_face'] * 4
    c.press('n'); c.relabel_btn.click()
    assert [c.decisions[p] for p in paths[4:8]] == ['keep'] * 4 and '0 relabelled' in c.status.value
    c.press('p'); c.keep_btn.click()
    assert c.decisions.pending() == {} and [dropdown(i) for i in range(4)] == ['keep'] * 4 and 'about 5 of the 5' in c.summary.value
    # what the keys decide is what Apply carries out, and Undo takes back
    c.press('d'); c.press('r')
    c.apply(); assert not Path(paths[0]).exists() and not Path(paths[1]).exists() and (root/'train'/'not_face'/Path(paths[1]).name).exists()
    c.undo(); assert snapshot(root) == before

def test_keys_show_names_as_text(tmp_path):
    "The larger view and the key messages show names from the dataset as text, never markup."
    from mylib.cleaning import ImageCleaner
    root = tmp_path/'ds'; small_dataset(root, n=1)
    r = fixed_ranking(root).assign(label='<b>x', pred='<b>x')
    c = ImageCleaner(r, root, classes=['<b>x', 'face'])
    c.press('z'); c.press('r')
    for h in (c.preview.children[1].value, c.status.value): assert '<b>x' not in h and '&lt;b&gt;x' in h
    assert c.decisions == {}

NB_CELLS = lambda root: [
    "import torch\nfrom fastai.vision.all import Learner, accuracy\n"
    "from mylib.engine.images import folder_dls; from mylib.vision import small_cnn\nfrom mylib.cleaning import rank_by_loss, ImageCleaner\n"
    f"root = {str(root)!r}\ndls = folder_dls(root, grey=True, bs=8)\n"
    "learn = Learner(dls, small_cnn(2, width=8), metrics=accuracy)\n"
    "with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3)\n"
    "cleaner = ImageCleaner(rank_by_loss(learn), root, per_page=4)\ncleaner"]

def choose(page, item:int, label:str):
    page.locator('.mylib-clean-item').nth(item).locator('select').select_option(label=label)

def test_widget_in_jupyterlab(lab, browser):
    root = lab[2]/'ds_lab'; before = small_dataset(root)
    write_notebook(lab[2]/'clean.ipynb', *NB_CELLS(root))
    page = open_lab_notebook(browser, lab, 'clean.ipynb')
    def first_label_is(label):
        page.wait_for_function("l => document.querySelector('.mylib-clean-page').innerText.startsWith('page 1') && "
                               "document.querySelector('.mylib-clean-item b').innerText === l", arg=label)
    def pending_is(n):  # each choice reaches the kernel, which counts it, before the next step
        page.wait_for_function("n => document.querySelector('.mylib-clean-summary').innerText.startsWith(n + ' pending')", arg=n)
    items = page.locator('.mylib-clean-item')
    items.first.wait_for()
    # real thumbnails: the images have loaded with a real size
    page.wait_for_function("() => [...document.querySelectorAll('.mylib-clean-item img')].every(i => i.complete && i.naturalWidth > 0)")
    assert items.count() == 4
    page.get_by_role('combobox', name='class').select_option('face')
    first_label_is('face')
    first_face = items.nth(0).locator('small').inner_text()
    choose(page, 0, 'delete'); pending_is(1)
    page.locator('.mylib-clean-next button, button.mylib-clean-next').first.click()
    page.wait_for_function("() => document.querySelector('.mylib-clean-page').innerText.startsWith('page 2')")
    choose(page, 1, '→ not_face'); pending_is(2)
    page.get_by_role('combobox', name='class').select_option('not_face')
    first_label_is('not_face')
    choose(page, 0, 'delete'); pending_is(3)
    # choices persist: back to faces, page 1, the first item is still marked delete
    page.get_by_role('combobox', name='class').select_option('face')
    first_label_is('face')
    assert items.nth(0).locator('select').input_value() == 'delete' and items.nth(0).locator('small').inner_text() == first_face
    assert page.locator('.mylib-clean-summary').inner_text() == '3 pending: 2 delete, 1 relabel'
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS/'cleaner_jupyterlab.png'), full_page=True)
    page.locator('button.mylib-clean-apply, .mylib-clean-apply button').first.click()
    page.wait_for_function("() => document.querySelector('.mylib-clean-summary').innerText.startsWith('applied')")
    after = snapshot(root)
    journal = [json.loads(l) for l in (root/'.cleaning'/'journal.jsonl').read_text().splitlines()]
    moves = [r for r in journal if r['op'] == 'move']
    assert len(moves) == 3 and journal[-1]['op'] == 'commit'
    assert sum(r['action'] == 'delete' for r in moves) == 2 and len(after) == len(before) - 2
    assert all(Path(r['dst']).exists() and not Path(r['src']).exists() for r in moves)
    assert sorted(all_bytes(root)) == sorted(before.values())        # the trash keeps the deleted files
    page.locator('button.mylib-clean-undo, .mylib-clean-undo button').first.click()
    page.wait_for_function("() => document.querySelector('.mylib-clean-summary').innerText.startsWith('undone')")
    assert snapshot(root) == before
    # keys go to the cleaner, not to the notebook around it: in command mode d d would delete the cell, z undo a cell edit
    nb = "window.jupyterapp.shell.currentWidget.content"
    page.evaluate(f"() => {{ {nb}.mode = 'command'; {nb}.node.focus() }}")
    hover_and_press(page, 'd', 'd', 'z')
    pending_is(2)
    page.wait_for_function("() => { const i = document.querySelector('.mylib-clean-preview img'); return i && i.naturalWidth > 0 }")
    assert page.evaluate(f"() => {nb}.widgets.length === 1 && {nb}.widgets[0].model.sharedModel.getSource().includes('ImageCleaner')")
    assert current_item(page) == 2
    assert snapshot(root) == before                                    # and nothing moves without Apply
    page.close()

def hover_and_press(page, *keys:str):
    "Rest the mouse on the cleaner (ipyevents listens for keys only while it is there), then press `keys` one by one."
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    for _ in range(30):   # a mouse that came in before ipyevents was listening comes in again, as a person's would
        page.mouse.move(0, 0); page.locator('.mylib-cleaner').hover()
        try: page.wait_for_selector('.mylib-cleaner.ipyevents-watched', timeout=3000); break   # focused, and listening
        except PlaywrightTimeout: pass
    else: raise AssertionError('ipyevents never listened for keys over the cleaner')
    for k in keys: page.keyboard.press(k)

def current_item(page) -> int:
    return page.evaluate("() => [...document.querySelectorAll('.mylib-clean-item')].findIndex(e => e.classList.contains('mylib-clean-current'))")

def test_widget_in_voila(tmp_path, browser):
    "Keys in a real Voila page: d and k record decisions (the dropdown shows it), z opens the larger view, Apply moves, Undo restores."
    root = tmp_path/'ds_voila'; before = small_dataset(root)
    write_notebook(tmp_path/'clean.ipynb', *NB_CELLS(root))
    port = free_port()
    log = open(tmp_path/'voila.log', 'w')
    proc = subprocess.Popen([str(Path(sys.executable).parent/'voila'), str(tmp_path/'clean.ipynb'), '--no-browser',
                             f'--port={port}', '--Voila.ip=127.0.0.1'], stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, 'MPLBACKEND': 'Agg'})
    try:
        wait_http(f'http://127.0.0.1:{port}/', proc)
        page = browser.new_page(viewport=dict(width=1400, height=1000)); page.set_default_timeout(180_000)
        page.goto(f'http://127.0.0.1:{port}/')
        page.locator('.mylib-clean-item').first.wait_for()
        page.wait_for_function("() => [...document.querySelectorAll('.mylib-clean-item img')].every(i => i.complete && i.naturalWidth > 0)")
        assert current_item(page) == 0 and 'k keep' in page.locator('.mylib-clean-keys').inner_text()
        hover_and_press(page, 'd')
        page.wait_for_function("() => document.querySelector('.mylib-clean-summary').innerText.startsWith('1 pending: 1 delete')")
        page.wait_for_function("() => document.querySelectorAll('.mylib-clean-item')[1].classList.contains('mylib-clean-current')")
        assert page.locator('.mylib-clean-item').nth(0).locator('select').input_value() == 'delete'
        page.keyboard.press('k')                                  # keep: recorded, nothing pending, on to item 2
        page.wait_for_function("() => document.querySelectorAll('.mylib-clean-item')[2].classList.contains('mylib-clean-current')")
        page.keyboard.press('z')
        page.wait_for_function("() => { const i = document.querySelector('.mylib-clean-preview img'); "
                               "return i && i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().width > 200 }")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS/'cleaner_voila.png'), full_page=True)
        assert page.locator('.mylib-clean-summary').inner_text().startswith('1 pending: 1 delete, 0 relabel')
        page.locator('button.mylib-clean-apply, .mylib-clean-apply button').first.click()
        page.wait_for_function("() => document.querySelector('.mylib-clean-summary').innerText.startsWith('applied')")
        assert len(snapshot(root)) == len(before) - 1 and sorted(all_bytes(root)) == sorted(before.values())
        page.locator('button.mylib-clean-undo, .mylib-clean-undo button').first.click()
        page.wait_for_function("() => document.querySelector('.mylib-clean-summary').innerText.startsWith('undone')")
        assert snapshot(root) == before
        page.close()
    finally:
        proc.terminate(); proc.wait(20)

def test_apply_refuses_escapes_before_moving_anything(tmp_path):
    "Actions that are paths, unknown classes, and files outside the dataset are all refused before any file moves."
    from mylib.engine.journal import Journal; from mylib.cleaning import Decisions
    root = tmp_path/'ds'; before = small_dataset(root)
    outside = tmp_path/'outside'/'keepme.png'; outside.parent.mkdir(); outside.write_bytes(b'the user\'s own file')
    face = sorted((root/'train'/'face').glob('*.png'))
    for bad in ({str(face[0]): '../../escape'}, {str(face[0]): str(tmp_path/'elsewhere')}, {str(face[0]): 'cat'},
                {str(outside): 'delete'}, {str(root/'train'/'face'/'..'/'..'/'..'/'outside'/'keepme.png'): 'face'},
                {str(face[1]): 'delete', str(face[2]): '..'}):             # one good decision with a bad one: nothing at all moves
        with pytest.raises(ValueError, match='Nothing was moved'): Journal(root).apply(bad)
        assert snapshot(root) == before and outside.read_bytes() == b'the user\'s own file'
        assert not (root/'.cleaning'/'journal.jsonl').exists()             # not even a journal entry
    csv = tmp_path/'decisions.csv'; csv.write_text(f"path,action\n../outside/keepme.png,delete\n")
    with pytest.raises(ValueError, match='Nothing was moved'): Journal(root).apply(Decisions.from_csv(csv, classes=['face', 'not_face']))
    assert outside.exists() and Journal(root).apply({str(face[0]): 'not_face'})['relabelled'] == 1   # a sound decision still works
