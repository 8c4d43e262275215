"""CPU bfloat16 vs float32 for each chapter's main model, measured back to back in one run (issue 18).

For each model: seconds per training batch in float32 and with `learn.to_cpu_bf16()` (the median of alternating
rounds, so both modes see the same machine state), the same for inference batches, the split of a float32 training
step by phase (data, forward, backward, optimizer; `mylib.engine.speed.StepPhases`), the share of its CPU time in matrix
products and convolutions (`matmul_share`), and the FLOP/s it achieves (3x the forward pass's FLOPs, counted by torch, per step)
beside this machine's matmul peak measured in the same run. Then, for the NLP chapter's MiniLM, each choice the
chapter could make against float32 as it was (bfloat16; the word embeddings frozen; torch's fused AdamW), for training
steps, and float32 / autocast / bfloat16 weights for inference.

    python bench/precision.py            # prints the markdown section `bench/run.py` puts in RESULTS.md
    python bench/precision.py minilm 1   # only the MiniLM choices, at 1 thread
"""
import statistics, time
import torch

ROUNDS, TRAIN_BATCHES, INFER_BATCHES = 3, 6, 6

def matmul_peak(dtype, n:int=2048, reps:int=10) -> float:
    "FLOP/s of an n x n matmul in `dtype` at the current thread count (the best of `reps`)."
    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    for _ in range(3): a @ b
    best = min(_timed(lambda: a @ b) for _ in range(reps))
    return 2 * n**3 / best

def _timed(f) -> float:
    t = time.perf_counter(); f(); return time.perf_counter() - t

def _batches(dl, n):
    it = iter(dl); return [next(it) for _ in range(n)]

def train_step_s(learn, n:int) -> tuple:
    "Median compute seconds of a training step (forward, loss, backward, optimizer; not data) over `n` batches of a real `fit`, and the phases."
    from mylib.engine.speed import StepPhases, StopAfter
    ph = StepPhases(); learn.add_cb(ph)
    try:
        with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-5, cbs=StopAfter(n))
    finally: learn.remove_cb(ph)
    return (sum(ph.secs.values()) - ph.secs['data']) / ph.n, ph.shares()

def _to_model(learn, x):
    "The model's arguments for input `x` of a batch `(x, y)` (one input: a tensor, or a tuple such as `(ids, mask)`)."
    if isinstance(x, torch.Tensor) and any(type(c).__name__ == 'ChannelsLast' for c in learn.cbs): x = x.contiguous(memory_format=torch.channels_last)
    return (x,)

def infer_s(learn, batches, bf16:bool) -> float:
    "Median seconds of the model's forward pass on one of `batches`, without gradients (under CPU bf16 autocast if `bf16`, as `CPUBFloat16` does)."
    learn.model.eval(); ts = []
    with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
        for xb, _ in batches:
            xb = _to_model(learn, xb); ts.append(_timed(lambda: learn.model(*xb)))
    return statistics.median(ts)

def step_flops(learn, batch) -> int:
    "Floating-point operations of one training step on `batch`: 3x the forward pass counted by torch's `FlopCounterMode`."
    # The usual estimate (the backward pass costs about twice the forward). torch's own count of the backward pass ignores
    # the groups of depthwise convolutions (it counted 82 GFLOP where EfficientNet-Lite0's forward is 2), so it is not used.
    from torch.utils.flop_counter import FlopCounterMode
    xb, _ = batch
    learn.model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as fc: learn.model(*_to_model(learn, xb))
    return 3 * fc.get_total_flops()

def models() -> dict:
    "Each chapter's main learner, built as the chapter builds it (quick size), and its batches."
    from fastai.vision.all import Resize, Learner, accuracy, aug_transforms
    from mylib.engine.images import folder_dls
    from mylib.vision import lite0_learner, small_cnn
    from mylib.segmentation import seg_dls, lite0_unet
    from mylib.engine.data import train_valid
    from mylib.nlp import text_dls, hf_learner, scratch_classifier, label_maps
    from mylib.engine.models import minilm_tokenizer, minilm_classifier
    out = {}
    def clutter():
        dls = folder_dls('fashion_clutter', n_train=500, n_valid=200, bs=32, item_tfms=Resize(64))
        return lite0_learner(dls, metrics=accuracy), dls
    def fashion():
        dls = folder_dls('fashion_mnist', grey=True, bs=128, n_train=5000, n_valid=1000)
        return Learner(dls, small_cnn(10, width=16), metrics=accuracy).to_channelslast(use_amp=False), dls
    def scenes():
        from mylib.engine.data import get_data
        p = get_data('fashion_scenes'); files = sorted((p/'train'/'images').glob('*.png'))[:400] + sorted((p/'valid'/'images').glob('*.png'))[:100]
        dls = seg_dls('fashion_scenes', files, bs=16)
        return lite0_unet(dls, last_cross=False).to_channelslast(use_amp=False), dls
    tok = minilm_tokenizer(); tv = train_valid('rotten_tomatoes'); classes = ['rotten', 'fresh']
    tdls = lambda: text_dls(tok, tv[~tv.is_valid].sample(1000, random_state=0), tv[tv.is_valid].head(400), classes)
    def minilm(): d = tdls(); return hf_learner(d, minilm_classifier(2, **label_maps(classes))), d
    def bert(): d = tdls(); return hf_learner(d, scratch_classifier(tok, classes)), d
    return {'vision: Lite0 fine-tune, 64 px, bs 32': clutter, 'vision: small CNN, Fashion-MNIST, bs 128': fashion,
            'segmentation: Lite0 U-Net, scenes 64 px, bs 16': scenes, 'nlp: MiniLM fine-tune, bs 32': minilm,
            'nlp: small BERT from scratch, bs 32': bert}

def measure_one(make) -> dict:
    "fp32 and bf16 training and inference times of the learner `make()` builds, alternated `ROUNDS` times."
    from mylib.engine.speed import matmul_share, CPUBFloat16
    learn, dls = make()
    if hasattr(learn, 'unfreeze'): learn.unfreeze()
    va = _batches(dls.valid, INFER_BATCHES + 1)
    train_step_s(learn, 2); infer_s(learn, va[:1], False); infer_s(learn, va[:1], True)       # warm up
    t, phases = {}, None
    for _ in range(ROUNDS):
        for bf16 in (False, True):
            learn.to_cpu_bf16() if bf16 else learn.remove_cb(CPUBFloat16)
            s, ph = train_step_s(learn, TRAIN_BATCHES)
            t.setdefault(('train', bf16), []).append(s); t.setdefault(('infer', bf16), []).append(infer_s(learn, va[1:], bf16))
            if not bf16: phases = ph
    learn.remove_cb(CPUBFloat16)
    med = {k: statistics.median(v) for k, v in t.items()}
    return dict(train32=med[('train', False)], train16=med[('train', True)], infer32=med[('infer', False)], infer16=med[('infer', True)],
                flops=step_flops(learn, dls.one_batch()), phases=phases, matmul=matmul_share(learn, TRAIN_BATCHES))

def minilm_choices() -> dict:
    "Training-step and inference seconds of the NLP chapter's MiniLM learner, today's float32 against each choice, alternated `ROUNDS` times."
    from functools import partial
    from fastai.optimizer import OptimWrapper
    from mylib.nlp import freeze_word_embeddings
    make = models()['nlp: MiniLM fine-tune, bs 32']
    choices = {'float32 (before)': (False, False, False), 'bfloat16 (the chapter)': (True, False, False),
               'bfloat16, word embeddings frozen': (True, True, False),
               "bfloat16, frozen, torch's fused AdamW": (True, True, True)}
    learners = {}
    for name, (bf16, freeze, fused) in choices.items():
        learn, dls = make()
        if fused: learn.opt_func = partial(OptimWrapper, opt=partial(torch.optim.AdamW, fused=True, eps=1e-5))
        if bf16: learn.to_cpu_bf16()
        if freeze: freeze_word_embeddings(learn.model)
        train_step_s(learn, 2); learners[name] = learn
    va = _batches(dls.valid, INFER_BATCHES + 1)
    t = {}
    for _ in range(ROUNDS):
        for name, learn in learners.items(): t.setdefault(name, []).append(train_step_s(learn, TRAIN_BATCHES)[0])
        m = learners['float32 (before)'].model
        t.setdefault('infer float32', []).append(infer_s(learners['float32 (before)'], va[1:], False))
        t.setdefault('infer autocast', []).append(infer_s(learners['float32 (before)'], va[1:], True))
        m.bfloat16(); t.setdefault('infer bfloat16 weights', []).append(infer_s(learners['float32 (before)'], va[1:], False)); m.float()
    return {k: statistics.median(v) for k, v in t.items()}

def minilm_rows(m, threads) -> list:
    base, inf = m['float32 (before)'], m['infer float32']
    out = [f"### The NLP chapter's MiniLM: each choice against float32 ({threads} thread(s), back to back)", "",
           "| training step | seconds | speed-up |", "|---|---|---|"]
    out += [f"| {k} | {v:.3f} | {base/v:.2f}× |" for k, v in m.items() if not k.startswith('infer')]
    out += ["", "| inference batch | seconds | speed-up |", "|---|---|---|"]
    out += [f"| {k[6:]} | {v:.3f} | {inf/v:.2f}× |" for k, v in m.items() if k.startswith('infer')]
    return out + [""]

def run() -> dict:
    from mylib.engine.core import get_device
    get_device()
    peak32, peak16 = matmul_peak(torch.float32), matmul_peak(torch.bfloat16)
    res = {name: measure_one(make) for name, make in models().items()}
    return dict(peak32=peak32, peak16=peak16, threads=torch.get_num_threads(), models=res, minilm=minilm_choices())

def rows(r) -> list:
    g = lambda x: f"{x/1e9:,.0f}"
    out = ["## CPU bfloat16 (`learn.to_cpu_bf16()`) vs float32", "",
           f"Measured back to back, {r['threads']} thread(s). Matmul peak here (2048², best of 10): float32 {g(r['peak32'])} GFLOP/s, "
           f"bfloat16 {g(r['peak16'])} GFLOP/s ({r['peak16']/r['peak32']:.1f}×). Training speed-up = float32 step time / bfloat16 step time.", "",
           "| model | train step fp32 | bf16 speed-up | inference batch fp32 | bf16 speed-up | fp32 step GFLOP/s (% of fp32 peak) | bf16 (% of bf16 peak) | fp32 step: data / forward / backward / optimizer | matmul+conv share |",
           "|---|---|---|---|---|---|---|---|---|"]
    for name, m in r['models'].items():
        ph = m['phases']; split = ' / '.join(f"{ph.get(k, 0):.0%}" for k in ('data', 'forward', 'backward', 'optimizer'))
        f32, f16 = m['flops'] / m['train32'], m['flops'] / m['train16']
        out.append(f"| {name} | {m['train32']*1000:.0f} ms | {m['train32']/m['train16']:.2f}× | {m['infer32']*1000:.0f} ms | "
                   f"{m['infer32']/m['infer16']:.2f}× | {g(f32)} ({f32/r['peak32']:.0%}) | {g(f16)} ({f16/r['peak16']:.0%}) | {split} | {m['matmul']:.0%} |")
    return out + [""] + (minilm_rows(r['minilm'], r['threads']) if 'minilm' in r else [])

if __name__ == '__main__':
    import sys
    if sys.argv[1:2] == ['minilm']:      # python bench/precision.py minilm [threads]: only the MiniLM choices
        torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else torch.get_num_threads())
        print('\n'.join(minilm_rows(minilm_choices(), torch.get_num_threads())))
    else: print('\n'.join(rows(run())))
