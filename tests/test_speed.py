"`mylib.engine.speed` beyond its notebook: `to_cpu_bf16` on CPUs with and without bfloat16 instructions."
import pytest, torch

def test_to_cpu_bf16_only_where_the_cpu_has_bfloat16(monkeypatch):
    "`to_cpu_bf16` adds one CPUBFloat16 on a CPU with bfloat16 instructions (twice is harmless); elsewhere it warns and changes nothing."
    from torch import nn
    from fastai.data.core import DataLoaders
    from fastai.learner import Learner
    import mylib.engine.speed as speed
    def learner():
        dl = torch.utils.data.DataLoader([(torch.randn(4), 0)] * 8, batch_size=4)
        return Learner(DataLoaders(dl, dl), nn.Linear(4, 2), loss_func=nn.CrossEntropyLoss())
    n_cbs = lambda l: sum(isinstance(c, speed.CPUBFloat16) for c in l.cbs)
    monkeypatch.setattr(speed, 'cpu_has_bf16', lambda: True)
    assert n_cbs(learner().to_cpu_bf16().to_cpu_bf16()) == 1
    monkeypatch.setattr(speed, 'cpu_has_bf16', lambda: False)
    with pytest.warns(UserWarning, match='training stays float32'): learn = learner().to_cpu_bf16()
    assert n_cbs(learn) == 0
