"A saved text classifier reloads in a fresh process with identical predictions; empty and very long texts get one."
import json
from conftest import run_py

TEXTS = ["A triumph.", "Two hours of my life I will never get back.", "", "long " * 3000]

def test_saved_model_reloads_in_fresh_process(tmp_path):
    save = f"""
import torch, json
from mylib.engine.core import seed_everything
from mylib.engine.models import minilm_tokenizer, minilm_classifier
from mylib.nlp import HFClassifier, label_maps, predict_texts, save_text_model
seed_everything(0)
tok = minilm_tokenizer(); model = HFClassifier(minilm_classifier(2, **label_maps(['rotten', 'fresh'])))
save_text_model(model, tok, {str(tmp_path/'m')!r})
print(json.dumps(predict_texts(model, tok, {TEXTS!r}).to_dict('list')))
"""
    load = f"""
import json
from mylib.nlp import load_text_model, predict_texts
m, tok = load_text_model({str(tmp_path/'m')!r})
print(json.dumps(predict_texts(m, tok, {TEXTS!r}).to_dict('list')))
"""
    a, b = run_py(save), run_py(load)
    assert a.returncode == 0, a.stderr[-2000:]
    assert b.returncode == 0, b.stderr[-2000:]
    pa, pb = json.loads(a.stdout.strip().splitlines()[-1]), json.loads(b.stdout.strip().splitlines()[-1])
    assert len(pa['prediction']) == len(TEXTS) and set(pa['prediction']) <= {'rotten', 'fresh'}
    assert pa['prediction'] == pb['prediction']
    assert all(abs(x - y) < 1e-5 for x, y in zip(pa['probability'], pb['probability']))

def test_load_missing_model_says_what_to_do(tmp_path):
    r = run_py(f"from mylib.nlp import load_text_model\nload_text_model({str(tmp_path/'nothing')!r})")
    assert r.returncode != 0 and 'run the NLP chapter' in r.stderr

def test_changed_or_pickled_weights_refused(tmp_path):
    "A weights file changed after saving, or a folder with no checksums, is refused before transformers reads it."
    r = run_py(f"""
import shutil
from mylib.engine.models import minilm_tokenizer, minilm_classifier
from mylib.nlp import save_text_model, load_text_model
from mylib.engine.checkpoint import CheckpointError
p = save_text_model(minilm_classifier(2), minilm_tokenizer(), {str(tmp_path/'m')!r})
assert 'model.safetensors' in __import__('json').loads((p/'mylib.json').read_text())['files']
w = p/'model.safetensors'; b = bytearray(w.read_bytes()); b[-1] ^= 1; w.write_bytes(bytes(b))
try: load_text_model(p); raise SystemExit('changed weights were loaded')
except CheckpointError as e: assert 'sha256 differs' in str(e), e
(p/'mylib.json').unlink()
try: load_text_model(p); raise SystemExit('a folder without checksums was loaded')
except CheckpointError as e: assert 'save_text_model' in str(e), e
print('ok')
""")
    assert r.returncode == 0 and r.stdout.strip().endswith('ok'), r.stderr[-2000:] + r.stdout[-500:]

def test_bad_texts_and_tables_say_what_to_do():
    "One string, missing texts, a missing column or an unknown label: a clear error before any tokenizing or training."
    import pandas as pd, pytest
    from mylib.engine.models import minilm_tokenizer
    from mylib.nlp import check_texts, text_dls
    with pytest.raises(TypeError, match=r'not one string'): check_texts("A triumph.")
    with pytest.raises(ValueError, match=r'item 1 is None'): check_texts(["fine", None, float('nan')])
    with pytest.raises(ValueError, match=r'item 0 is nan'): check_texts([float('nan')])
    tok, ok = minilm_tokenizer(), pd.DataFrame(dict(text=['good', 'bad'], label=['fresh', 'rotten']))
    with pytest.raises(KeyError, match=r"no column \['review'\]"): text_dls(tok, ok, ok, ['rotten', 'fresh'], text='review')
    with pytest.raises(ValueError, match=r"\['meh'\] are not among"): text_dls(tok, ok.assign(label=['fresh', 'meh']), ok, ['rotten', 'fresh'])
    with pytest.raises(ValueError, match=r"column 'text': item 1"): text_dls(tok, ok.assign(text=['good', None]), ok, ['rotten', 'fresh'])
    assert len(text_dls(tok, ok, ok, ['rotten', 'fresh'], bs=1).train_ds) == 2

def test_own_texts_with_other_column_names_train_without_fastai_all():
    "A learner's own texts (columns `review`, `sentiment`), in a fresh process that never imports fastai.callback.all."
    r = run_py("""
import pandas as pd
from mylib.engine.models import minilm_tokenizer, minilm_classifier
from mylib.nlp import text_dls, hf_learner, label_maps
good = ['a joy to watch', 'wonderful and warm', 'brilliant acting', 'I loved it']
bad = ['a dull mess', 'boring and slow', 'awful script', 'I hated it']
df = pd.DataFrame(dict(review=good + bad, sentiment=['positive'] * 4 + ['negative'] * 4))
classes = ['negative', 'positive']
dls = text_dls(minilm_tokenizer(), df.iloc[::2], df.iloc[1::2], classes, text='review', label='sentiment', bs=2)
learn = hf_learner(dls, minilm_classifier(2, **label_maps(classes)))
assert callable(learn.lr_find)
with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, 1e-4)
print('trained', len(dls.train_ds), len(dls.valid_ds))
""")
    assert r.returncode == 0 and 'trained 4 4' in r.stdout, r.stderr[-2000:]

def test_inspect_texts():
    import pandas as pd
    from mylib.nlp import inspect_texts
    df = pd.DataFrame(dict(review=['fine', None, '', 'fine', 'great fun'], stars=['pos', 'neg', 'neg', 'pos', 'meh']))
    rep = inspect_texts(df, 'review', 'stars', classes=['neg', 'pos']); text = repr(rep)
    assert len(rep.problems) == 2 and '1 texts are missing' in text and "labels ['meh']" in text, text
    assert '1 texts are empty' in text and '1 texts appear more than once' in text
    assert 'pass text= and label=' in repr(inspect_texts(df))
    assert inspect_texts(df.loc[[0, 4]], 'review', 'stars', classes=['pos', 'meh']).ok

def test_frozen_word_embeddings_stay_pretrained_under_cpu_bf16():
    "The chapter's CPU recipe: bfloat16 forward, word embeddings frozen; they stay as loaded, the rest trains, weights stay float32."
    import pandas as pd, torch
    import mylib.engine.speed
    from mylib.engine.models import minilm_tokenizer, minilm_classifier
    from mylib.nlp import text_dls, hf_learner, label_maps, freeze_word_embeddings
    df = pd.DataFrame(dict(text=['a joy', 'a mess', 'warm and wise', 'dull'], label=['fresh', 'rotten'] * 2))
    dls = text_dls(minilm_tokenizer(), df, df, ['rotten', 'fresh'], bs=2)
    learn = hf_learner(dls, minilm_classifier(2, **label_maps(['rotten', 'fresh']))).to_cpu_bf16()
    hf = learn.model.hf
    assert freeze_word_embeddings(learn.model) == hf.get_input_embeddings().weight.numel() == 30522 * 384
    emb, head = hf.get_input_embeddings().weight.detach().clone(), hf.classifier.weight.detach().clone()
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, 1e-3)
    assert torch.equal(emb, hf.get_input_embeddings().weight) and not torch.equal(head, hf.classifier.weight)
    assert all(p.dtype == torch.float32 for p in hf.parameters())
