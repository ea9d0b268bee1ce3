"""Loads a model written by latent (`latent train`, or a model composed from layers and saved with
io.modelToSafetensors) into its PyTorch twin and prints the codes of a few images.

    python3 examples/torch-twin.py runs/demo/model.safetensors [images.json [labels.json]] [--json]

images.json: rows of input features (NHWC order for images); labels.json: class indices, for a
conditional model. Prints the codes (the AE's code, the VAE's posterior mean) and the decoder's
outputs at those codes (logits or means), as JSON with --json.

A composed model's spec lists its layers (src/nn/layer-spec.ts); the twin builds each one.
Its activations are latent's rows: one sample's features in NHWC order, so the convolutions and
layer norms below reshape rows to images and back around the PyTorch op.

Needs torch (Debian: python3-torch); reads the file itself (safetensors: an 8-byte little-endian
header length, a JSON header, then the tensors' bytes). The file's tensor names are the twin's state_dict names and its
weights are in PyTorch's layouts (nn.Linear [out, in], nn.Conv2d [out, in, kh, kw],
nn.ConvTranspose2d [in, out, kh, kw]); the optimizer state, stored beside them as
"optimizer.slots", is left out. latent's images are NHWC, so the conv twin flattens in
(h, w, c) order (ToNHWC) and unflattens back (FromNHWC); its inputs and outputs are NCHW.
"""
import json
import sys

import torch
import torch.nn as nn
import struct

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


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv_pads(padding, size, kernel, stride, dilation):
    """(before, after) pads of one axis, by the rules of src/nn/conv-geometry.ts."""
    if padding == "valid":
        return 0, 0
    if padding == "same":
        out = -(-size // stride)
        total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
        return total // 2, total - total // 2
    raise ValueError(padding)


def axis_pads(padding, axis, size, kernel, stride, dilation):
    if isinstance(padding, dict):
        return (padding["top"], padding["bottom"]) if axis == 0 else (padding["left"], padding["right"])
    if isinstance(padding, (int, list)):
        p = pair(padding)[axis]
        return p, p
    return conv_pads(padding, size, kernel, stride, dilation)


class RowsConv2d(nn.Conv2d):
    """nn.Conv2d on latent's NHWC rows (any padding: applied with F.pad, then an unpadded convolution)."""

    def __init__(self, s):
        h, w, c = s["input"]
        super().__init__(c, s["outChannels"], pair(s["kernel"]), pair(s["stride"]), 0, pair(s["dilation"]), bias=s["bias"])
        self.shape = (h, w, c)
        k, st, d = pair(s["kernel"]), pair(s["stride"]), pair(s["dilation"])
        self.pads = [axis_pads(s["padding"], a, (h, w)[a], k[a], st[a], d[a]) for a in (0, 1)]

    def forward(self, x):
        h, w, c = self.shape
        x = x.view(-1, h, w, c).permute(0, 3, 1, 2)
        (t, b), (l, r) = self.pads
        x = torch.nn.functional.pad(x, (l, r, t, b))
        return super().forward(x).permute(0, 2, 3, 1).flatten(1)


class RowsConvTranspose2d(nn.ConvTranspose2d):
    """nn.ConvTranspose2d on NHWC rows: the full transposed convolution, cropped to latent's output
    (the adjoint of the convolution from the output to the input, src/nn/conv-transpose2d.ts)."""

    def __init__(self, s):
        h, w, c = s["input"]
        super().__init__(c, s["outChannels"], pair(s["kernel"]), pair(s["stride"]), 0, 0, 1, bias=s["bias"], dilation=pair(s["dilation"]))
        self.shape = (h, w, c)
        k, st, d, op = pair(s["kernel"]), pair(s["stride"]), pair(s["dilation"]), pair(s["outputPadding"])
        self.crop = []
        for a in (0, 1):
            size = (h, w)[a]
            full = (size - 1) * st[a] + d[a] * (k[a] - 1) + 1
            pad = s["padding"]
            if pad == "same":
                out = size * st[a]
                before, _ = conv_pads("same", out, k[a], st[a], d[a])
            else:
                before, after = axis_pads(pad, a, size, k[a], st[a], d[a])
                out = full - before - after + op[a]
            self.crop.append((before, out))

    def forward(self, x):
        h, w, c = self.shape
        x = x.view(-1, h, w, c).permute(0, 3, 1, 2)
        y = torch.nn.functional.conv_transpose2d(x, self.weight, None, self.stride, 0, 0, 1, self.dilation)
        (t, oh), (l, ow) = self.crop
        y = torch.nn.functional.pad(y, (0, max(0, l + ow - y.shape[3]), 0, max(0, t + oh - y.shape[2])))
        y = y[:, :, t:t + oh, l:l + ow]
        if self.bias is not None:
            y = y + self.bias.view(1, -1, 1, 1)
        return y.permute(0, 2, 3, 1).flatten(1)


class RowsLayerNorm(nn.LayerNorm):
    """nn.LayerNorm(shape) on rows whose features are a sample of that shape (NHWC for an image)."""

    def forward(self, x):
        return super().forward(x.view(-1, *self.normalized_shape)).flatten(1)


def layer(s):
    t = s["type"]
    if t == "dense":
        return nn.Linear(s["in"], s["out"])
    if t == "conv2d":
        return RowsConv2d(s)
    if t == "convTranspose2d":
        return RowsConvTranspose2d(s)
    if t == "activation":
        name = s["name"]
        if name == "leakyRelu":
            return nn.LeakyReLU(s["alpha"])
        if name == "elu":
            return nn.ELU(s["alpha"])
        return ACTIVATIONS[name]()
    if t in ("reshape", "flatten"):
        return nn.Identity()  # rows are already a sample's features in NHWC order
    if t == "dropout":
        return nn.Dropout(s["rate"])
    if t == "layerNorm":
        return RowsLayerNorm(s["shape"], eps=s["eps"])
    raise ValueError(f"unknown layer type {t}")


def composed_twin(spec):
    m = nn.Module()
    m.encoder = nn.Sequential(*[layer(s) for s in spec["encoder"]])
    m.decoder = nn.Sequential(*[layer(s) for s in spec["decoder"]])
    if spec["kind"] == "vae":
        h = m.encoder(torch.zeros(1, spec["input"] + spec["classes"])).shape[1]
        m.mu, m.logvar = nn.Sequential(nn.Linear(h, spec["latent"])), nn.Sequential(nn.Linear(h, spec["latent"]))
    if spec["obsLogvar"] == "learned" and spec["likelihood"] in ("gaussian", "laplace"):
        m.obs = nn.Module()
        name = "logvar" if spec["likelihood"] == "gaussian" else "logscale"
        setattr(m.obs, name, nn.Parameter(torch.zeros(spec["input"])))
    return m


def twin(spec):
    if spec["arch"] == "composed":
        return composed_twin(spec)
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


def read_safetensors(path):
    """(tensors, metadata) of a safetensors file whose tensors are all F32."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, t in header.items():
        if t["dtype"] != "F32":
            raise ValueError(f"{name}: {t['dtype']}, expected F32")
        a, b = t["data_offsets"]
        raw = bytearray(data[8 + n + a:8 + n + b])
        tensors[name] = torch.frombuffer(raw, dtype=torch.float32).reshape(t["shape"]) if b > a else torch.zeros(t["shape"])
    return tensors, meta


args = [a for a in sys.argv[1:] if a != "--json"]
path = args[0]
tensors, meta = read_safetensors(path)
spec = json.loads(meta["latent.spec"])
model = twin(spec)
model.load_state_dict({k: v for k, v in tensors.items() if not k.startswith("optimizer.")}, strict=True)
if len(args) > 1:
    x = torch.tensor(json.load(open(args[1])), dtype=torch.float32)
else:
    x = torch.rand(4, spec["input"])
if spec["arch"] == "conv":
    h, w, c = spec["imageShape"]
    x = x.view(-1, h, w, c).permute(0, 3, 1, 2)  # NHWC rows -> NCHW
if spec["arch"] == "composed" and spec["classes"] > 0:
    labels = json.load(open(args[2])) if len(args) > 2 else [0] * x.shape[0]
    x = torch.cat([x, torch.nn.functional.one_hot(torch.tensor(labels), spec["classes"]).float()], 1)
model.eval()  # Dropout is the identity, as in latent's encode
with torch.no_grad():
    code = model.encoder(x)
    mean = model.mu(code) if spec["kind"] == "vae" else code
    z = mean
    if spec["arch"] == "composed" and spec["classes"] > 0:
        z = torch.cat([mean, x[:, spec["input"]:]], 1)
    out = model.decoder(z)
    if spec["arch"] == "conv":
        out = out.permute(0, 2, 3, 1).flatten(1)  # NCHW -> NHWC rows, as latent's
if "--json" in sys.argv:
    print(json.dumps({"codes": mean.tolist(), "outputs": out.tolist()}))
else:
    print(f"loaded {path} ({spec['arch']} {spec['kind']}, {sum(p.numel() for p in model.parameters())} parameters)")
    print("codes:", mean.tolist())
    print("decoder outputs at the codes (logits or means):", out.tolist())
