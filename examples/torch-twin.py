"""Loads a model written by `latent train` into its PyTorch twin.

    python3 examples/torch-twin.py runs/demo/model.safetensors

Needs torch and safetensors. The file's tensor names are the twin's state_dict names and its
weights are in PyTorch's layouts (nn.Linear: [out, in]); the optimizer state, stored beside
them as "optimizer.slots", is left out. Only MLP VAEs with one hidden layer are built here;
deeper ones add (nn.Linear, activation) pairs at indices 0, 2, 4, ... of the Sequentials.
"""
import json
import sys

import torch
import torch.nn as nn
from safetensors import safe_open
from safetensors.torch import load_file


class LatentVAE(nn.Module):
    """Twin of models.vae.mlp({input: d, hidden: [h], latent: z}) with relu and a Bernoulli decoder."""

    def __init__(self, d=784, h=400, z=20):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(d, h), nn.ReLU())
        self.mu = nn.Sequential(nn.Linear(h, z))
        self.logvar = nn.Sequential(nn.Linear(h, z))
        self.decoder = nn.Sequential(nn.Linear(z, h), nn.ReLU(), nn.Linear(h, d))

    def forward(self, x):
        h = self.encoder(x)
        mu, logvar = self.mu(h), self.logvar(h)
        return torch.sigmoid(self.decoder(mu)), mu, logvar


path = sys.argv[1]
with safe_open(path, "pt") as f:
    spec = json.loads(f.metadata()["latent.spec"])
assert spec["kind"] == "vae" and len(spec["hidden"]) == 1 and spec["activation"] == "relu", spec
state = {k: v for k, v in load_file(path).items() if not k.startswith("optimizer.")}
model = LatentVAE(spec["input"], spec["hidden"][0], spec["latent"])
model.load_state_dict(state, strict=True)
with torch.no_grad():
    x = torch.rand(4, spec["input"])
    recon, mu, logvar = model(x)
print(f"loaded {path}: {sum(p.numel() for p in model.parameters())} parameters; mu of 4 random inputs:")
print(mu)
