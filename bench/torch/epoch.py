"""One training epoch in PyTorch, the peer of `gmgrad train` for the same epoch (bench:train -- --epoch).

  python3 bench/torch/epoch.py --checkpoint runs/x/model.safetensors --metrics runs/x/metrics.json --data DIR [--threads 2]

The network and the recipe are gmgrad's own: the architecture is rebuilt from the checkpoint that
`gmgrad train` wrote (reference.py's mirror of the zoo, checked name by name), and the dataset,
batch size, optimizer (SGD with momentum, Nesterov, weight decay), GM head (α, λ, likelihood) and
augmentation (pad-4 random crop + horizontal flip) come from that run's metrics.json. The data is
read from the same files (MNIST IDX .gz, CIFAR-10 binary .bin.gz), scaled to [0, 1], shuffled each
epoch; augmentation runs per batch on the tensors (no worker processes: the cores are the
benchmark's). Prints one JSON line: epoch seconds (the training loop), images/s, final loss.
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from reference import Classifier, gm_loss, read_safetensors


def read_gz(path):
    if os.path.exists(path):
        with gzip.open(path, "rb") as f:
            return f.read()
    with open(path[:-3], "rb") as f:
        return f.read()


def load(dataset, folder):
    if dataset in ("mnist", "fashion-mnist"):
        images = np.frombuffer(read_gz(os.path.join(folder, "train-images-idx3-ubyte.gz")), np.uint8, offset=16)
        labels = np.frombuffer(read_gz(os.path.join(folder, "train-labels-idx1-ubyte.gz")), np.uint8, offset=8)
        return images.reshape(-1, 1, 28, 28), labels
    if dataset == "cifar10":
        xs, ys = [], []
        for i in range(1, 6):
            raw = np.frombuffer(read_gz(os.path.join(folder, "data_batch_%d.bin.gz" % i)), np.uint8).reshape(-1, 3073)
            ys.append(raw[:, 0])
            xs.append(raw[:, 1:].reshape(-1, 3, 32, 32))
        return np.concatenate(xs), np.concatenate(ys)
    raise ValueError("unknown dataset %s" % dataset)


def augment(x):
    """pad 4 with zeros, random 32×32 crop, random horizontal flip (per image)"""
    n, _, h, w = x.shape
    padded = F.pad(x, (4, 4, 4, 4))
    dy = torch.randint(0, 9, (n,))
    dx = torch.randint(0, 9, (n,))
    rows = (dy[:, None] + torch.arange(h)[None, :])[:, None, :, None].expand(n, x.shape[1], h, w + 8)
    out = padded.gather(2, rows)
    cols = (dx[:, None] + torch.arange(w)[None, :])[:, None, None, :].expand(n, x.shape[1], h, w)
    out = out.gather(3, cols)
    flip = torch.rand(n) < 0.5
    out[flip] = out[flip].flip(3)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--metrics", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--limit", type=int, default=0, help="train on the first N shuffled images only (a smoke test)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cfg = json.load(open(a.metrics))["config"]
    state = read_safetensors(a.checkpoint)
    head = cfg.get("loss", "gm")
    model = Classifier(cfg["model"], state, head)
    model.load(state)
    model.train()
    if cfg.get("optimizer", "sgd") != "sgd":
        raise ValueError("epoch.py mirrors SGD runs only, got %s" % cfg.get("optimizer"))
    opt = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=cfg["momentum"], nesterov=cfg.get("nesterov", False),
                          weight_decay=cfg.get("weightDecay", 0))
    images, labels = load(cfg["dataset"], a.data)
    x_all = torch.from_numpy(images.copy())
    y_all = torch.from_numpy(labels.astype(np.int64))
    batch = cfg["batch"]
    alpha, lam = cfg.get("alpha", 0), cfg.get("lambda", 0)
    likelihood = cfg.get("likelihood", "true-class")
    t0 = time.perf_counter()
    order = torch.randperm(len(y_all))
    if a.limit:
        order = order[: a.limit]
    loss_value = float("nan")
    for start in range(0, len(order), batch):
        idx = order[start : start + batch]
        x = x_all[idx].to(torch.float32) / 255
        if cfg.get("augment"):
            x = augment(x)
        y = y_all[idx]
        opt.zero_grad(set_to_none=True)
        f = model.features(x)
        loss = gm_loss(f, model.means, y, alpha, lam, likelihood) if head == "gm" else F.cross_entropy(model.head(f), y)
        loss.backward()
        opt.step()
        loss_value = loss.item()
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "imagesPerSecond": len(order) / seconds, "images": len(order), "loss": loss_value,
                      "threads": a.threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
