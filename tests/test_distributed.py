"""DDP over 2 CPU processes and bf16-mixed on the CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
from conftest import ROOT
from helpers import SaveRankState, digits_data, parameters_of, tiny_dcgan, toy_data, trainer
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.strategies import DDPStrategy

from ganzoo.distributed import GANDDPStrategy


LAUNCHER_VARS = ("MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "NODE_RANK", "LOCAL_RANK", "RANK", "GLOBAL_RANK")


@pytest.fixture(autouse=True)
def fresh_launcher_environment(monkeypatch):
    """A spawn run leaves MASTER_PORT in os.environ; the next one would reuse a port that may still be taken."""
    for name in LAUNCHER_VARS:
        monkeypatch.delenv(name, raising=False)


def wgan_gp_with_mlps():
    from ganzoo.models import WGANGP
    from ganzoo.nets import MLPDiscriminator, MLPGenerator

    return WGANGP(MLPGenerator(latent_dim=4, hidden_dims=[32]), MLPDiscriminator(hidden_dims=[32]), n_critic=2)


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["dcgan", "wgan_gp", "cgan", "infogan", "pix2pix", "cyclegan", "stargan"])
def test_ddp_two_cpu_ranks_keep_identical_parameters(tmp_path, variant):
    # DCGAN: BatchNorm in G and D, the case that breaks DDP's buffer broadcast when done wrong.
    # WGAN-GP: the gradient penalty's double backward through the critic's DDP wrapper.
    # CGAN: labels through both wrappers; InfoGAN: D's three heads (real/fake, Q's codes) in one wrapper.
    from test_conditional import tiny_cgan, tiny_infogan

    from test_cyclegan import tiny_cyclegan
    from test_stargan import DigitsInDomains, tiny_stargan
    from test_translation import PairedImageDataModule, tiny_pix2pix, write_pairs

    from ganzoo.data import UnpairedImageDataModule

    builders = {"dcgan": tiny_dcgan, "wgan_gp": wgan_gp_with_mlps, "cgan": tiny_cgan, "infogan": tiny_infogan,
                "pix2pix": tiny_pix2pix, "cyclegan": tiny_cyclegan,
                "stargan": lambda: tiny_stargan(n_critic=2)}  # fmt: skip
    model = builders[variant]()
    data = toy_data(batch_size=16) if variant == "wgan_gp" else digits_data(batch_size=16)
    if variant in ("pix2pix", "cyclegan"):  # pix2pix: BatchNorm U-Net and PatchGAN; CycleGAN: four networks
        kind = PairedImageDataModule if variant == "pix2pix" else UnpairedImageDataModule
        data = kind(str(write_pairs(tmp_path / "pairs", n=8)), image_size=16, load_size=18, batch_size=2)
    if variant == "stargan":  # G twice in one step (translation and reconstruction) through its DDP wrapper
        data = DigitsInDomains(batch_size=2, limit=64)
    initial = parameters_of(model)
    t = trainer(
        tmp_path,
        max_steps=6,
        devices=2,
        strategy=GANDDPStrategy(start_method="spawn"),
        callbacks=[SaveRankState(str(tmp_path))],
    )
    t.fit(model, data)
    rank0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    rank1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert rank0["wrapped"] == rank1["wrapped"] == sorted(model.network_names)  # each network its own DDP
    assert rank0["params"].keys() == rank1["params"].keys()
    for name in rank0["params"]:
        assert torch.equal(rank0["params"][name], rank1["params"][name]), name
    assert any(not torch.equal(rank0["params"][k], initial[k]) for k in rank0["params"])  # it trained
    assert not torch.equal(rank0["noise"], rank1["noise"])  # each rank draws its own noise


@pytest.mark.slow
def test_ddp_on_two_cpu_ranks_keeps_the_vaes_parameters_identical(tmp_path):
    """The VAE under ganzoo's DDP strategy (what ``--trainer.strategy ddp`` gives): one wrapper around the module
    (automatic optimization), each rank its own shard and its own ε draws, the ranks' weights (and EMA) equal."""
    from test_vae import small_vae

    from ganzoo.callbacks import GeneratorAveraging

    model = small_vae()
    initial = parameters_of(model)
    t = trainer(tmp_path, max_steps=8, devices=2, strategy=GANDDPStrategy(start_method="spawn"),
                callbacks=[GeneratorAveraging(decay=0.9), SaveRankState(str(tmp_path))])  # fmt: skip
    t.fit(model, digits_data(batch_size=32))
    rank0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    rank1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert rank0["params"].keys() == rank1["params"].keys() and any("averaged" in k for k in rank0["params"])
    for name in rank0["params"]:
        assert torch.equal(rank0["params"][name], rank1["params"][name]), name
    assert not torch.equal(rank0["params"]["generator.net.0.weight"], initial["generator.net.0.weight"])  # trained
    assert not torch.equal(rank0["noise"], rank1["noise"])  # each rank draws its own ε


def test_plain_lightning_ddp_is_refused_with_the_fix(tmp_path):
    t = trainer(tmp_path, max_steps=1, devices=1, strategy=DDPStrategy(start_method="popen"))
    with pytest.raises(ValueError, match="GANDDPStrategy"):
        t.fit(tiny_dcgan(), digits_data(batch_size=16))


@pytest.mark.slow
def test_command_line_ddp_on_two_cpu_processes(tmp_path):
    command = [sys.executable, "-m", "ganzoo", "fit", "--config", str(ROOT / "configs/gan/ring8.yaml")]
    command += ["--trainer.accelerator", "cpu", "--trainer.devices", "2", "--trainer.strategy", "ddp"]
    command += ["--trainer.max_steps", "5", "--trainer.default_root_dir", str(tmp_path), "--trainer.logger", "false"]
    command += ["--trainer.enable_progress_bar", "false", "--data.init_args.num_samples", "4096"]
    # a spawn test earlier in this process leaves MASTER_PORT etc. in os.environ: start clean
    launcher_vars = {"MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "NODE_RANK", "LOCAL_RANK", "RANK", "GLOBAL_RANK"}
    env = {k: v for k, v in os.environ.items() if k not in launcher_vars}
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert list(tmp_path.rglob("*step=5.ckpt"))


def test_bf16_mixed_on_cpu_trains_a_few_steps(tmp_path):
    """bf16-mixed trains, and 2 generator steps per Lightning step (``steps_per_call``) end bit-identical."""
    ends = []
    for k in (1, 2):
        torch.manual_seed(0)
        model = tiny_dcgan(steps_per_call=k)
        initial = parameters_of(model)
        t = trainer(tmp_path, max_steps=4, precision="bf16-mixed")
        t.fit(model, digits_data(batch_size=16))
        assert t.global_step == 4
        assert all(p.dtype == torch.float32 and torch.isfinite(p).all() for p in model.parameters())
        assert any(not torch.equal(v, initial[k]) for k, v in parameters_of(model).items())
        assert torch.isfinite(t.callback_metrics["d_loss"]) and torch.isfinite(t.callback_metrics["g_loss"])
        ends.append(parameters_of(model))
    assert all(torch.equal(ends[0][name], ends[1][name]) for name in ends[0])


class SaveMetrics(Callback):
    def __init__(self, folder: str):
        self.folder = folder

    def on_train_end(self, trainer, pl_module):
        from ganzoo.callbacks import GenerativeMetrics

        metrics = next(c for c in trainer.callbacks if isinstance(c, GenerativeMetrics))
        state = {"result": metrics.result, "real": len(metrics.real.features)}
        torch.save(state, os.path.join(self.folder, f"metrics{trainer.global_rank}.pt"))


@pytest.mark.slow
def test_metrics_callback_gathers_features_across_two_ranks(tmp_path):
    from ganzoo.callbacks import GenerativeMetrics
    from ganzoo.metrics.features import DomainClassifier

    torch.manual_seed(0)
    metrics = GenerativeMetrics("fid,kid", every_n_steps=2, num_samples=120, features=DomainClassifier().eval())
    t = trainer(tmp_path, max_steps=2, devices=2, strategy=GANDDPStrategy(start_method="spawn"),
                callbacks=[metrics, SaveMetrics(str(tmp_path))])  # fmt: skip
    t.fit(tiny_dcgan(), digits_data(batch_size=16))
    rank0 = torch.load(tmp_path / "metrics0.pt", weights_only=True)
    rank1 = torch.load(tmp_path / "metrics1.pt", weights_only=True)
    assert rank0["real"] == rank1["real"] == 120  # 60 per rank, gathered
    assert rank0["result"] == rank1["result"] and rank0["result"]["fid"] > 0


@pytest.mark.slow
def test_a_resumed_ddp_run_ends_bit_identical_to_an_uninterrupted_one(tmp_path):
    """Every rank's random states and the place in the shard are in the checkpoint and restored on resume
    (the strategy's per-rank seed offset applies to fresh runs only): 3 + 3 steps equal 6 straight steps, also when
    the interrupted run takes its steps 3 per Lightning step (``steps_per_call``)."""
    from lightning.pytorch.callbacks import ModelCheckpoint
    from test_resume import assert_identical

    from ganzoo.checkpoints import load_checkpoint

    def run(folder, steps, ckpt_path=None, steps_per_call=1):
        torch.manual_seed(0)
        checkpoints = ModelCheckpoint(dirpath=folder, filename="{step}", every_n_train_steps=3)
        t = trainer(tmp_path, max_steps=steps, devices=2, strategy=GANDDPStrategy(start_method="spawn"),
                    callbacks=[checkpoints], enable_checkpointing=True)  # fmt: skip
        t.fit(tiny_dcgan(steps_per_call=steps_per_call), digits_data(batch_size=16), ckpt_path=ckpt_path)

    run(tmp_path / "straight", 6)
    # the interrupted run takes 3 generator steps per Lightning step, each rank from its own shard: the same run
    run(tmp_path / "resumed", 3, steps_per_call=3)
    run(tmp_path / "resumed", 6, ckpt_path=tmp_path / "resumed" / "step=3.ckpt", steps_per_call=3)
    straight = load_checkpoint(tmp_path / "straight" / "step=6.ckpt")
    resumed = load_checkpoint(tmp_path / "resumed" / "step=6.ckpt")
    ranks = straight["ganzoo"]["rng"]
    assert len(ranks) == 2 and not torch.equal(ranks[0]["torch"], ranks[1]["torch"])  # each rank its own noise
    for key in ("state_dict", "optimizer_states"):
        assert_identical(straight[key], resumed[key], key)
    assert_identical(straight["ganzoo"]["rng"], resumed["ganzoo"]["rng"], "rng")


@pytest.mark.slow
def test_two_nodes_started_by_torchrun_end_with_identical_parameters(tmp_path):
    """``torchrun --nnodes 2 --node_rank {0,1}`` on 127.0.0.1, one process per node, ``--trainer.num_nodes 2``
    (the README's many-machines recipe, both "machines" here): the ranks end with the same parameters."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in LAUNCHER_VARS}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "tests"), env.get("PYTHONPATH", "")])
    save = {"class_path": "helpers.SaveRankState", "init_args": {"folder": str(tmp_path)}}
    node = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--nproc-per-node", "1",
            "--master-addr", "127.0.0.1", "--master-port", str(port)]  # fmt: skip
    fit = ["-m", "ganzoo", "fit", "--config", str(ROOT / "configs/gan/ring8.yaml"), "--trainer.accelerator", "cpu",
           "--trainer.num_nodes", "2", "--trainer.devices", "1", "--trainer.max_steps", "5",
           "--trainer.default_root_dir", str(tmp_path), "--trainer.logger", "false",
           "--trainer.enable_progress_bar", "false", "--data.init_args.num_samples", "4096",
           f"--trainer.callbacks+={json.dumps(save)}"]  # fmt: skip
    nodes = [subprocess.Popen([*node, "--node-rank", str(rank), *fit], cwd=tmp_path, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for rank in (0, 1)]  # fmt: skip
    outputs = [n.communicate(timeout=300)[0] for n in nodes]
    assert [n.returncode for n in nodes] == [0, 0], outputs[0][-3000:] + outputs[1][-3000:]
    rank0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    rank1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert rank0["wrapped"] == rank1["wrapped"] == ["discriminator", "generator"]  # ganzoo's DDP on both
    for name in rank0["params"]:
        assert torch.equal(rank0["params"][name], rank1["params"][name]), name
    assert not torch.equal(rank0["noise"], rank1["noise"])


NAN_ON_RANK_1 = """
import torch
from helpers import NaNOnOneRank, toy_data, trainer
from ganzoo.distributed import GANDDPStrategy
from ganzoo.nets import MLPDiscriminator, MLPGenerator

torch.manual_seed(0)
model = NaNOnOneRank(MLPGenerator(latent_dim=2, hidden_dims=[8]), MLPDiscriminator(hidden_dims=[8]), bad_step=3)
trainer(".", max_steps=20, devices=2, strategy=GANDDPStrategy(start_method="popen")).fit(model, toy_data(batch_size=16))
"""


@pytest.mark.slow
def test_a_nan_on_one_rank_stops_every_rank_without_a_hang(tmp_path):
    # Before the ranks agreed on the NaN check, rank 1 raised alone and rank 0 waited in the next all-reduce.
    env = {k: v for k, v in os.environ.items() if k not in LAUNCHER_VARS}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "tests"), env.get("PYTHONPATH", "")])
    (tmp_path / "nan_on_rank_1.py").write_text(NAN_ON_RANK_1)  # a file: the popen launcher re-runs it for rank 1
    result = subprocess.run([sys.executable, "nan_on_rank_1.py"], capture_output=True, text=True, cwd=tmp_path,
                            env=env, timeout=240)  # fmt: skip
    assert result.returncode != 0
    # both ranks stop on the guard's error, rank 0 too (not on a broken connection to rank 1, or, with NCCL, never)
    message = "FloatingPointError: The generator loss became NaN or infinite by generator step 4"
    assert result.stderr.count(message) == 2, result.stderr[-3000:]
