"""PyTorch reference for gmgrad's training benchmark (bench/train.ts): the peer a user would run on
the same CPU instead of gmgrad.

It builds the gmgrad zoo network named by the benchmark from the tensors gmgrad exported (a
safetensors file: the model's state dict under gmgrad's names, plus the batch as `input` and
`labels`), so both sides start from the same weights on the same batch. The architecture mirrors
src/models/zoo.ts and is checked against the file: every exported parameter must land on a module
of the same name and shape, and every parameter of the PyTorch model must come from the file
(a zoo change that this script does not mirror fails loudly instead of timing another network).
Details read from the file: ResNet-20's shortcut kind (option B: 1×1 convolution + batch norm when
`shortcut.0.weight` exists; option A otherwise: subsample and zero channels), PReLU slope counts,
an input normalisation (`normalize.mean`/`std` buffers).

PyTorch has no Gaussian-mixture loss; the GM head is written here from the specification
(identity covariance): d_k = ½‖x − μ_k‖², z_k = −(1 + α·[k = y])·d_k,
L = mean(logsumexp_k z − z_y) + λ·L_lkd (true-class: mean d_y; true-class-sq: 2·mean d_y;
all-class: mean_i (1/K) Σ_k ‖x_i − μ_k‖²).

Protocol: one JSON object per line on stdin, one reply per line on stdout.
  {"cmd": "prepare", "id", "file", "model", "head", "alpha", "lambda", "likelihood", "lr", "momentum", "threads"}
      → {"ok": true, "losses": [step 1, step 2], "notes": [...]}
  {"cmd": "run", "id", "steps", "threads"} → {"ok": true, "ms": [per step]}
  {"cmd": "dispose", "id"}                  → {"ok": true}
  {"cmd": "rss"}                            → {"ok": true, "maxRssKiB": peak resident set of this process}
Errors reply {"ok": false, "error": "..."}.
"""
import json
import resource
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F64": torch.float64, "I32": torch.int32, "I64": torch.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        raw = bytearray(data[base + start : base + end])
        t = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info["shape"]).clone()
    return out


def conv_bias(state, name):
    return name + ".bias" in state


class Sequential(nn.Sequential):
    """nn.Sequential whose children are named 0, 1, … as gmgrad's Sequential names them."""


def plain_cnn(state, channels, hidden, pad):
    """small-cnn (pad 2), lenet (pad 0), tiny-cnn: conv5×5, ReLU, pool, conv5×5, ReLU, pool, fc, ReLU, fc"""
    c0 = state["backbone.0.weight"].shape[1]
    fc_in = state["backbone.7.weight"].shape[1]
    feature = state["backbone.9.weight"].shape[0]
    return Sequential(
        nn.Conv2d(c0, channels[0], 5, padding=pad), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(channels[0], channels[1], 5, padding=pad), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(fc_in, hidden), nn.ReLU(), nn.Linear(hidden, feature),
    )


def mnist6conv(state):
    layers, in_c = [], state["backbone.0.weight"].shape[1]
    for i, out_c in enumerate([32, 32, 64, 64, 128, 128]):
        slopes = state["backbone.%d.weight" % (len(layers) + 1)].shape[0]
        layers += [nn.Conv2d(in_c, out_c, 5, padding=2), nn.PReLU(slopes, 0.25)]
        if i % 2 == 1:
            layers.append(nn.MaxPool2d(2))
        in_c = out_c
    fc = state["backbone.%d.weight" % (len(layers) + 1)]
    return Sequential(*layers, nn.Flatten(), nn.Linear(fc.shape[1], fc.shape[0]))


class BasicBlock(nn.Module):
    def __init__(self, state, prefix, in_c, out_c, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_c, out_c, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_c)
        self.conv2 = nn.Conv2d(out_c, out_c, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_c)
        self.stride, self.extra = stride, out_c - in_c
        self.option = None
        if stride != 1 or in_c != out_c:
            if prefix + ".shortcut.0.weight" in state:
                self.option = "B"
                self.shortcut = Sequential(nn.Conv2d(in_c, out_c, 1, stride, 0, bias=False), nn.BatchNorm2d(out_c))
            else:
                self.option = "A"

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.option == "B":
            short = self.shortcut(x)
        elif self.option == "A":
            short = x[:, :, :: self.stride, :: self.stride]
            before = self.extra // 2
            short = F.pad(short, (0, 0, 0, 0, before, self.extra - before))
        else:
            short = x
        return F.relu(out + short)


class ResNet20(nn.Module):
    def __init__(self, state):
        super().__init__()
        self.conv1 = nn.Conv2d(state["backbone.conv1.weight"].shape[1], 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        in_c = 16
        for i, c in enumerate([16, 32, 64]):
            blocks = []
            for b in range(3):
                blocks.append(BasicBlock(state, "backbone.layer%d.%d" % (i + 1, b), in_c, c, 2 if b == 0 and i > 0 else 1))
                in_c = c
            setattr(self, "layer%d" % (i + 1), Sequential(*blocks))
        self.proj = nn.Linear(64, state["backbone.proj.weight"].shape[0]) if "backbone.proj.weight" in state else None

    def options(self):
        return sorted({blk.option for layer in (self.layer1, self.layer2, self.layer3) for blk in layer if blk.option})

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.layer3(self.layer2(self.layer1(y)))
        y = F.adaptive_avg_pool2d(y, 1).flatten(1)
        return self.proj(y) if self.proj is not None else y


def backbone_for(name, state):
    if name == "mnist-6conv":
        return mnist6conv(state)
    if name == "small-cnn":
        return plain_cnn(state, (32, 64), 256, 2)
    if name == "lenet":
        return plain_cnn(state, (32, 64), 256, 0)
    if name == "tiny-cnn":
        return plain_cnn(state, (8, 16), 64, 2)
    if name == "resnet20":
        return ResNet20(state)
    raise ValueError("no PyTorch mirror of the gmgrad model '%s'" % name)


class Classifier(nn.Module):
    def __init__(self, name, state, head):
        super().__init__()
        self.backbone = backbone_for(name, state)
        self.head_kind = head
        if head == "gm":
            self.means = nn.Parameter(torch.zeros_like(state["head.means"]))
        else:
            w = state["head.weight"]
            self.head = nn.Linear(w.shape[1], w.shape[0])
        self.norm = None
        if "normalize.mean" in state:
            c = state["normalize.mean"].numel()
            self.norm = (state["normalize.mean"].reshape(1, c, 1, 1), state["normalize.std"].reshape(1, c, 1, 1))

    def load(self, state):
        """every parameter from the file, by gmgrad's name (head.means is the GM head's)"""
        own = dict(self.named_parameters())
        renamed = {("head.means" if k == "means" else k): v for k, v in own.items()}
        missing = [k for k in renamed if k not in state]
        wrong = [k for k in renamed if k in state and tuple(state[k].shape) != tuple(renamed[k].shape)]
        unused = [k for k, v in state.items() if k.startswith(("backbone.", "head.")) and k not in renamed
                  and not k.endswith(("running_mean", "running_var", "num_batches_tracked"))]
        if missing or wrong or unused:
            raise ValueError("the PyTorch mirror does not match gmgrad's network: missing %s, shape mismatch %s, not in the mirror %s"
                             % (missing, wrong, unused))
        with torch.no_grad():
            for k, p in renamed.items():
                p.copy_(state[k].to(p.dtype))

    def features(self, x):
        if self.norm is not None:
            x = (x - self.norm[0]) / self.norm[1]
        return self.backbone(x)


def gm_loss(features, means, labels, alpha, lam, likelihood):
    k = means.shape[0]
    diff = features[:, None, :] - means[None, :, :]
    sq = (diff * diff).sum(-1)
    d = 0.5 * sq
    onehot = F.one_hot(labels, k).to(features.dtype)
    z = -(1 + alpha * onehot) * d
    cls = (torch.logsumexp(z, 1) - (z * onehot).sum(1)).mean()
    if lam == 0:
        return cls
    if likelihood == "true-class":
        lkd = (d * onehot).sum(1).mean()
    elif likelihood == "true-class-sq":
        lkd = (sq * onehot).sum(1).mean()
    elif likelihood == "all-class":
        lkd = sq.mean(1).mean()
    else:
        raise ValueError("unknown GM likelihood '%s'" % likelihood)
    return cls + lam * lkd


class Cell:
    def __init__(self, msg):
        torch.set_num_threads(int(msg["threads"]))
        state = read_safetensors(msg["file"])
        self.model = Classifier(msg["model"], state, msg["head"])
        self.model.load(state)
        self.model.train()
        self.x = state["input"].to(torch.float32)
        self.y = state["labels"].to(torch.int64)
        self.msg = msg
        self.opt = torch.optim.SGD(self.model.parameters(), lr=msg["lr"], momentum=msg["momentum"])
        self.notes = []
        if isinstance(self.model.backbone, ResNet20):
            options = self.model.backbone.options()
            self.notes.append("ResNet-20 shortcuts: option %s" % "/".join(options) if options else "ResNet-20: identity shortcuts only")

    def step(self):
        m = self.msg
        self.opt.zero_grad(set_to_none=True)
        f = self.model.features(self.x)
        if self.model.head_kind == "gm":
            loss = gm_loss(f, self.model.means, self.y, m["alpha"], m["lambda"], m["likelihood"])
        else:
            loss = F.cross_entropy(self.model.head(f), self.y)
        loss.backward()
        self.opt.step()
        return loss.item()


def main():
    cells = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        msg = json.loads(line)
        try:
            cmd = msg["cmd"]
            if cmd == "prepare":
                cell = Cell(msg)
                cells[msg["id"]] = cell
                reply = {"losses": [cell.step(), cell.step()], "notes": cell.notes}
            elif cmd == "run":
                cell = cells[msg["id"]]
                torch.set_num_threads(int(msg["threads"]))
                ms = []
                for _ in range(int(msg["steps"])):
                    t = time.perf_counter()
                    cell.step()
                    ms.append((time.perf_counter() - t) * 1000)
                reply = {"ms": ms}
            elif cmd == "dispose":
                cells.pop(msg["id"], None)
                reply = {}
            elif cmd == "rss":
                reply = {"maxRssKiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
            else:
                raise ValueError("unknown command '%s'" % cmd)
            reply["ok"] = True
        except Exception as e:  # the benchmark shows the reason in the cell
            reply = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
