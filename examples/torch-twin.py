"""Loads a model written by `latent train` into its PyTorch twin and prints the codes of a few
test images.

    python3 examples/torch-twin.py runs/demo/model.safetensors [images.json]

Needs torch and safetensors. The file's tensor names are the twin's state_dict names and its
weights are in PyTorch's layouts (nn.Linear [out, in], nn.Conv2d [out, in, kh, kw],
nn.ConvTranspose2d [in, out, kh, kw]); the optimizer state, stored beside them as
"optimizer.slots", is left out. latent's images are NHWC, so the conv twin flattens in
(h, w, c) order (ToNHWC) and unflattens back (FromNHWC); its inputs and outputs are NCHW.
"""
import json
import sys

import torch
import torch.nn as nn
from safetensors import safe_open
from safetensors.torch import load_file

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "softplus": nn.Softplus,
               "elu": nn.ELU, "leakyRelu": nn.LeakyReLU, "identity": nn.Identity}


class ToNHWC(nn.Module):
    def forward(self, x):
        return x.permute(0, 2, 3, 1).flatten(1)


class FromNHWC(nn.Module):
    def __init__(self, h, w, c):
        super().__init__()
        self.shape = (h, w, c)

    def forward(self, x):
        return x.view(-1, *self.shape).permute(0, 3, 1, 2)


def dense(widths, act, last_act):
    layers = []
    for i in range(1, len(widths)):
        layers.append(nn.Linear(widths[i - 1], widths[i]))
        if i < len(widths) - 1 or last_act:
            layers.append(act())
    return layers


def twin(spec):
    """nn.Modules named and laid out as latent's architecture (src/models/architecture.ts)."""
    act = ACTIVATIONS[spec["activation"]]
    vae = spec["kind"] == "vae"
    m = nn.Module()
    enc, dec = [], []
    if spec["arch"] == "conv":
        h, w, c = spec["imageShape"]
        k, p = spec["kernel"], spec["kernel"] // 2
        sizes, ch = [(h, w)], c
        for out in spec["channels"]:
            enc += [nn.Conv2d(ch, out, k, 2, p), act()]
            h, w = (h + 2 * p - k) // 2 + 1, (w + 2 * p - k) // 2 + 1
            sizes.append((h, w))
            ch = out
        enc.append(ToNHWC())
        flat = h * w * ch
        trunk = [flat] + spec["hidden"]
        enc += dense(trunk if vae else trunk + [spec["latent"]], act, vae)
        dec += dense([spec["latent"], flat], act, True) + [FromNHWC(h, w, ch)]
        chans = spec["channels"]
        for j in range(len(chans) - 1, -1, -1):
            (th, tw), (fh, fw) = sizes[j], sizes[j + 1]
            op = (th - ((fh - 1) * 2 - 2 * p + k), tw - ((fw - 1) * 2 - 2 * p + k))
            dec += [nn.ConvTranspose2d(chans[min(j + 1, len(chans) - 1)], chans[j], k, 2, p, op), act()]
        dec.append(nn.ConvTranspose2d(chans[0], c, k, 1, p))
    else:
        trunk = [spec["input"]] + spec["hidden"]
        enc += dense(trunk if vae else trunk + [spec["latent"]], act, vae)
        dec += dense([spec["latent"]] + spec["hidden"][::-1] + [spec["input"]], act, False)
    m.encoder, m.decoder = nn.Sequential(*enc), nn.Sequential(*dec)
    if vae:
        last = spec["hidden"][-1] if spec["hidden"] else flat
        m.mu, m.logvar = nn.Sequential(nn.Linear(last, spec["latent"])), nn.Sequential(nn.Linear(last, spec["latent"]))
    if spec["likelihood"] == "gaussian" and spec["obsLogvar"] == "learned":
        m.obs = nn.Module()
        m.obs.logvar = nn.Parameter(torch.zeros(spec["input"]))
    return m


path = sys.argv[1]
with safe_open(path, "pt") as f:
    meta = f.metadata()
spec = json.loads(meta["latent.spec"])
model = twin(spec)
model.load_state_dict({k: v for k, v in load_file(path).items() if not k.startswith("optimizer.")}, strict=True)
if len(sys.argv) > 2:
    x = torch.tensor(json.load(open(sys.argv[2])), dtype=torch.float32)
else:
    x = torch.rand(4, spec["input"])
if spec["arch"] == "conv":
    h, w, c = spec["imageShape"]
    x = x.view(-1, h, w, c).permute(0, 3, 1, 2)  # NHWC rows -> NCHW
with torch.no_grad():
    code = model.encoder(x)
    mean = model.mu(code) if spec["kind"] == "vae" else code
print(f"loaded {path} ({spec['arch']} {spec['kind']}, {sum(p.numel() for p in model.parameters())} parameters)")
print("codes:", mean.tolist())
