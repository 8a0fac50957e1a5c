# Times the official PyTorch Flux modules (black-forest-labs/flux, copied verbatim into ./flux, Apache-2.0) on
# the configurations of bench/reference.ts, in the same run as our engine. Called by the bench as a child process:
#   python3 reference.py job.json
# job.json: {"threads": 2, "cases": [{"name", "kind": "double"|"single"|"flux", ...}]}. The cases are set up
# first (one JSON line: setup times, and for a "flux" case the largest difference from our output), then each
# stdin line {"case": name, "warmup": w, "runs": n} is answered with one JSON line {"times": [ms, ...]}, so that the
# bench can alternate our runs and these (paired timings: the machine's drift hits both alike). EOF ends it.
# A "flux" case names a safetensors file with the weights, inputs and output of our engine ("data").
import json
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # ./flux and the einops stand-in

import torch
import torch.nn.functional as F

if not hasattr(F, "scaled_dot_product_attention"):
    # torch < 2.0 (Debian bookworm ships 1.13) has no fused SDPA; this is its math path (what torch 2 runs when no
    # fused kernel applies): softmax(q kᵀ / √d) v.
    def _sdpa(q, k, v):
        return torch.softmax(q @ k.transpose(-2, -1) * q.shape[-1] ** -0.5, dim=-1) @ v

    F.scaled_dot_product_attention = _sdpa

from flux.model import Flux, FluxParams  # noqa: E402
from flux.modules.layers import DoubleStreamBlock, EmbedND, SingleStreamBlock  # noqa: E402


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for key, e in header.items():
        if key == "__metadata__":
            continue
        assert e["dtype"] == "F32", f"{key}: {e['dtype']}"
        a, b = e["data_offsets"]
        out[key] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(e["shape"])
    return out


def positions(n_txt, rows, cols, contexts=0):
    """txt ids (zeros), then target tokens (0, r, c), then context images (k, r, c): the Kontext layout."""
    ids = [torch.zeros(n_txt, 3)]
    for k in range(contexts + 1):
        r, c = torch.meshgrid(torch.arange(rows), torch.arange(cols), indexing="ij")
        ids.append(torch.stack([torch.full_like(r, k), r, c], -1).reshape(-1, 3).float())
    return torch.cat(ids)[None]


def time_ms(fn, warmup, runs):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def case_block(c):
    t0 = time.perf_counter()
    torch.manual_seed(0)
    H, heads = c["hidden"], c["heads"]
    rows = cols = int(c["imgTokens"] ** 0.5)
    pe = EmbedND(H // heads, 10000, c["axes"])(positions(c["txtTokens"], rows, cols))
    if c["kind"] == "double":
        block = DoubleStreamBlock(H, heads, mlp_ratio=c["mlpRatio"], qkv_bias=True).eval()
        img, txt = torch.randn(1, c["imgTokens"], H), torch.randn(1, c["txtTokens"], H)
        vec = torch.randn(1, H)
        fn = lambda: block(img=img, txt=txt, vec=vec, pe=pe)  # noqa: E731
    else:
        block = SingleStreamBlock(H, heads, mlp_ratio=c["mlpRatio"]).eval()
        x, vec = torch.randn(1, c["txtTokens"] + c["imgTokens"], H), torch.randn(1, H)
        fn = lambda: block(x, vec=vec, pe=pe)  # noqa: E731
    return fn, {"setupMs": (time.perf_counter() - t0) * 1000}


def case_flux(c):
    t0 = time.perf_counter()
    model = Flux(FluxParams(**c["params"])).eval()
    data = read_safetensors(c["data"]) if c.get("data") else None
    if data:
        model.load_state_dict({k: v for k, v in data.items() if not k.startswith(("in.", "out"))}, strict=True)
        inp = {k[3:]: v for k, v in data.items() if k.startswith("in.")}
    else:
        raise ValueError("flux case needs data")
    r = {"setupMs": (time.perf_counter() - t0) * 1000}
    fn = lambda: model(**inp)  # noqa: E731
    if "out" in data:
        r["maxAbsDiff"] = (fn() - data["out"]).abs().max().item()
        r["maxAbsOut"] = data["out"].abs().max().item()
    return fn, r


def main():
    job = json.load(open(sys.argv[1]))
    torch.set_num_threads(job["threads"])
    torch.set_num_interop_threads(1)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "mkl": torch.backends.mkl.is_available()}
    fns = {}
    with torch.inference_mode():
        for c in job["cases"]:
            fns[c["name"]], out[c["name"]] = (case_flux if c["kind"] == "flux" else case_block)(c)
        print(json.dumps(out), flush=True)
        for line in sys.stdin:
            req = json.loads(line)
            print(json.dumps({"times": time_ms(fns[req["case"]], req["warmup"], req["runs"])}), flush=True)


if __name__ == "__main__":
    main()
