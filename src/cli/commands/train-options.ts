/** The flags of `latent train` and its help text (the command: ./train.ts). */
import type { Options } from "../args.js";

export const trainOptions: Options = {
  data: { type: "string", default: "mnist" },
  sat6: { type: "string" },
  model: { type: "string", default: "vae" },
  arch: { type: "string", default: "mlp" },
  hidden: { type: "string" },
  latent: { type: "string" },
  channels: { type: "string", default: "32,64" },
  kernel: { type: "string", default: "3" },
  beta: { type: "string", default: "1" },
  likelihood: { type: "string", default: "bernoulli" },
  activation: { type: "string", default: "relu" },
  epochs: { type: "string", default: "10" },
  batch: { type: "string", default: "128" },
  lr: { type: "string", default: "1e-3" },
  seed: { type: "string", default: "1" },
  out: { type: "string" },
  resume: { type: "string" },
  "checkpoint-every": { type: "string", default: "1" },
  limit: { type: "string" },
  normalize: { type: "string" },
  isa: { type: "string", default: "auto" },
  threads: { type: "string" },
  "early-stop": { type: "string" },
  plateau: { type: "string" },
  corrupt: { type: "string" },
  "plateau-factor": { type: "string" },
  sparsity: { type: "string" },
  code: { type: "string", default: "linear" },
  "holdout-class": { type: "string" },
  conditional: { type: "boolean" },
};

export const trainHelp = `latent train [options]
  Trains an autoencoder and writes a run folder (model, metrics, pictures).

  --data mnist|fashion-mnist|sat6|DIR  data set: the embedded MNIST digits (default), Fashion-MNIST
                                   (apt-get install dataset-fashion-mnist), SAT-6 (with --sat6), or a
                                   folder of IDX files or PNGs
  --sat6 DIR_OR_FILE               SAT-6: a folder of the Kaggle CSV files, or sat-6-full.mat
  --model ae|vae                   deterministic autoencoder or variational autoencoder (default vae)
  --arch mlp|conv                  dense layers only, or stride-2 convolutions first (default mlp)
  --hidden 400                     dense hidden widths, comma-separated, e.g. 512,256, or none (default 400; conv: 16)
  --latent 20                      latent dimensions (default 20; conv: 2)
  --channels 32,64                 conv: output channels of the stride-2 convolutions (default 32,64)
  --kernel 3                       conv: odd kernel size (default 3)
  --beta 1                         weight of the KL term (beta-VAE; default 1)
  --likelihood bernoulli|continuousBernoulli|gaussian|laplace|mse  reconstruction term (default bernoulli)
  --activation relu|leakyRelu|tanh|sigmoid|softplus|elu  hidden activation (default relu)
  --epochs 10                      train until this many epochs are done (default 10)
  --batch 128                      batch size (default 128)
  --lr 1e-3                        Adam learning rate (default 1e-3)
  --seed 1                         seed of every random choice (default 1)
  --out runs/NAME                  run folder (default runs/<model>-<data>-seed<seed>); one run at a time
                                   holds it (OUT/.latent.lock)
  --resume FILE                    continue from a checkpoint; model and training flags come from the file
  --checkpoint-every 1             write checkpoint.safetensors every N epochs (default 1)
  --early-stop PATIENCE            stop when the test loss has not improved for PATIENCE epochs
  --plateau PATIENCE               multiply the learning rate by --plateau-factor when the test loss has not
                                   improved for PATIENCE epochs (Keras's ReduceLROnPlateau)
  --plateau-factor 0.5             with --plateau: the factor, in (0, 1) (default 0.5)
  --corrupt mask:0.3               a denoising run: the encoder sees the input corrupted by gaussian:SIGMA,
                                   mask:RATE or saltpepper:RATE (drawn from each step's key), the loss the clean input
  --sparsity l1:W | kl:RHO:W       a sparse code: W * sum_j |c_j| on the code c (AE's code, VAE's posterior mean), or
                                   W * sum_j KL(RHO || mean of c_j over the batch), which needs --code sigmoid
  --code linear|sigmoid            AE: the code as the dense layer gives it (default), or squashed into (0, 1) by a sigmoid;
                                   e.g. --model ae --hidden none --latent 196 --code sigmoid --sparsity kl:0.05:3
  --holdout-class C                leave class C (a label or class name) out of the training samples (after --limit);
                                   the test split keeps it (latent anomaly scores it)
  --conditional                    a conditional VAE (CVAE) on the labels: the one-hot label joins the encoder's input and
                                   the code (--model vae --arch mlp; latent sample --class C draws one class)
  --limit N                        use at most N training samples
  --normalize band|global          uint8 pixels to [0, 1]: v / 255 in every band (global), or per band from the 1st
                                   to the 99th percentile of the training split, clipped (band); default band for
                                   data of 4 or more bands (SAT-6), global otherwise (MNIST, Fashion-MNIST, RGB)
  --isa auto|relaxed|simd|scalar   kernel module (default auto)
  --threads N                      threads to train on (default: every core); any N gives the same bits`;
