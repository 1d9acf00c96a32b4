"""Multi-process TRIRL (torch.distributed, gloo on the CPU): every rank ends with bit-identical networks and chain."""

import os
import socket
import subprocess
import sys

import torch

WORKER = os.path.join(os.path.dirname(__file__), "distributed_worker.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_ranks_hold_identical_actor_critic_discriminator_and_chain(tmp_path) -> None:
    port = _free_port()
    procs = []
    for rank in range(2):
        env = dict(
            os.environ,
            WORLD_SIZE="2",
            RANK=str(rank),
            LOCAL_RANK=str(rank),
            MASTER_ADDR="127.0.0.1",
            MASTER_PORT=str(port),
            OMP_NUM_THREADS="1",
        )
        procs.append(subprocess.Popen([sys.executable, WORKER, str(tmp_path)], env=env, stderr=subprocess.PIPE))
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()[-3000:]
    a, b = (torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in range(2))
    assert not torch.equal(a["first_obs"], b["first_obs"])  # the ranks did roll out different environments
    for key in ("actor", "critic", "discriminator", "base"):
        for (name, x), y in zip(a[key].items(), b[key].values()):
            assert torch.equal(x, y), f"{key}.{name} differs between ranks"
    assert a["distilled"] == b["distilled"] >= 1
    assert a["steps"] == b["steps"] and a["etas"] == b["etas"]
    for sa, sb in zip(a["snapshots"], b["snapshots"]):
        assert all(torch.equal(sa[k], sb[k]) for k in sa)
    # the multiplier is the one of the union of both ranks' states (max reduction), as one process would see it
    for ha, hb in zip(a["history"], b["history"]):
        assert ha["eta_state_max"] == max(ha["eta_state_max_local"], hb["eta_state_max_local"])
    assert any(ha["eta_state_max_local"] != hb["eta_state_max_local"] for ha, hb in zip(a["history"], b["history"]))
