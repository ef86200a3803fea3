#!/usr/bin/env python3
"""Generate the whole-model PyTorch fixtures for the Recurrent Swift tests.

Usage:
    venv/bin/python scripts/make_model_fixtures.py [OUT_DIR]

OUT_DIR defaults to ``Tests/RecurrentTests/Fixtures/models``.  Deterministic:
each case seeds ``torch.manual_seed`` itself and runs with one thread.

Each case is a PyTorch module written the usual way, under the user's own
names (an ``nn.Embedding`` or not, one recurrent module, an ``nn.Linear`` head),
saved with ``save_file(module.state_dict())``.  Per case directory:

  model.safetensors   the state_dict, F32, no metadata
  input.npy           float32 vectors, or token ids (int64 or int32, see
                      case.json "input_dtype"); batch-first when
                      case.json "batch_first" is true
  output.npy          y = head(rnn(embed(x))[0]), float32, the input's layout
  h_n.npy, c_n.npy    the recurrent module's final states (c_n for an LSTM)
  case.json           batch_first, input_dtype, roles (the names the library
                      must find: prefix, embedding, head), lengths (when the
                      case packs its sequences)
  grads.safetensors   (cases with "loss") gradients of the custom loss
                      L = sum(w * sin(y)) + 0.5 * sum(y ** 2), w = loss_weights.npy,
                      by autograd, under the state_dict's names
  input_grad.npy      (vector cases with "loss") dL/dx

The refusal cases (``ambiguous_heads``, ``unplaceable``) hold only
model.safetensors and case.json: files the library must refuse with an error
naming the tensors at fault.
"""

import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
from safetensors.torch import save_file

torch.set_num_threads(1)


class Tagger(nn.Module):
    """Tokens -> embedding -> LSTM (batch_first) -> Linear, the usual tagger."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(20, 6)
        self.lstm = nn.LSTM(6, 8, batch_first=True)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        y, state = self.lstm(self.embed(x))
        return self.fc(y), state


class EncoderDecoder(nn.Module):
    """Vectors -> 2-layer GRU (sequence-first) -> Linear decoder."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.GRU(4, 12, num_layers=2)
        self.decoder = nn.Linear(12, 3)

    def forward(self, x):
        y, state = self.encoder(x)
        return self.decoder(y), state


class BiTagger(nn.Module):
    """Vectors -> bidirectional LSTM (batch_first) -> Linear on 2H."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(5, 6, bidirectional=True, batch_first=True)
        self.out = nn.Linear(12, 2)

    def forward(self, x):
        y, state = self.rnn(x)
        return self.out(y), state


class PackedLanguageModel(nn.Module):
    """int32 tokens (T, B) with lengths -> embedding -> GRU -> Linear to the vocabulary."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(11, 4)
        self.gru = nn.GRU(4, 5)
        self.proj = nn.Linear(5, 11)

    def forward(self, x, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(self.emb(x), lengths, enforce_sorted=False)
        y, state = self.gru(packed)
        y, _ = nn.utils.rnn.pad_packed_sequence(y, total_length=x.shape[0])
        return self.proj(y), state


class TwoHeads(nn.Module):
    """Two Linear layers that both fit the LSTM's output: the head is ambiguous."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 4)
        self.head_a = nn.Linear(4, 2)
        self.head_b = nn.Linear(4, 2)


class WithNorm(nn.Module):
    """An LSTM, a LayerNorm the library has no role for, and a Linear head."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 4)
        self.norm = nn.LayerNorm(4)
        self.head = nn.Linear(4, 2)


def custom_loss(y, w):
    return (w * torch.sin(y)).sum() + 0.5 * (y ** 2).sum()


def save_case(out, name, module, info, inputs=None, lengths=None, loss=False):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    save_file({k: v.detach().contiguous() for k, v in module.state_dict().items()},
              os.path.join(d, "model.safetensors"))
    if inputs is not None:
        x = inputs
        if x.is_floating_point():
            x = x.clone().requires_grad_(loss)
        y, state = module(x, lengths) if lengths is not None else module(x)
        np.save(os.path.join(d, "input.npy"), inputs.numpy())
        np.save(os.path.join(d, "output.npy"), y.detach().numpy())
        h = state[0] if isinstance(state, tuple) else state
        np.save(os.path.join(d, "h_n.npy"), h.detach().numpy())
        if isinstance(state, tuple):
            np.save(os.path.join(d, "c_n.npy"), state[1].detach().numpy())
        if loss:
            g = torch.Generator().manual_seed(7)
            w = torch.randn(y.shape, generator=g)
            custom_loss(y, w).backward()
            np.save(os.path.join(d, "loss_weights.npy"), w.numpy())
            save_file({k: p.grad.detach().contiguous() for k, p in module.named_parameters()},
                      os.path.join(d, "grads.safetensors"))
            if x.is_floating_point():
                np.save(os.path.join(d, "input_grad.npy"), x.grad.numpy())
            info["loss"] = "sum(w * sin(y)) + 0.5 * sum(y ** 2)"
    if lengths is not None:
        info["lengths"] = [int(v) for v in lengths]
    with open(os.path.join(d, "case.json"), "w") as f:
        json.dump(info, f, indent=2, sort_keys=True)
        f.write("\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "Tests", "RecurrentTests", "Fixtures", "models")

    torch.manual_seed(11)
    m = Tagger()
    tokens = torch.randint(0, 20, (3, 7), dtype=torch.int64)
    save_case(out, "embed_lstm_batch_first", m,
              {"batch_first": True, "input_dtype": "int64",
               "roles": {"prefix": "lstm.", "embedding": "embed.weight", "head": "fc."}},
              tokens, loss=True)

    torch.manual_seed(12)
    m = EncoderDecoder()
    save_case(out, "gru_encoder_decoder", m,
              {"batch_first": False, "input_dtype": "float32",
               "roles": {"prefix": "encoder.", "embedding": None, "head": "decoder."}},
              torch.randn(7, 4, 4), loss=True)

    torch.manual_seed(13)
    m = BiTagger()
    save_case(out, "bilstm_linear", m,
              {"batch_first": True, "input_dtype": "float32",
               "roles": {"prefix": "rnn.", "embedding": None, "head": "out."}},
              torch.randn(2, 6, 5))

    torch.manual_seed(14)
    m = PackedLanguageModel()
    tokens = torch.randint(0, 11, (6, 3), dtype=torch.int32)
    save_case(out, "embed_gru_int32_lengths", m,
              {"batch_first": False, "input_dtype": "int32",
               "roles": {"prefix": "gru.", "embedding": "emb.weight", "head": "proj."}},
              tokens, lengths=torch.tensor([6, 3, 5]))

    torch.manual_seed(15)
    save_case(out, "ambiguous_heads", TwoHeads(), {"refusal": "ambiguous", "names": ["head_a.", "head_b."]})
    torch.manual_seed(16)
    save_case(out, "unplaceable", WithNorm(), {"refusal": "unplaceable", "names": ["norm.weight", "norm.bias"]})


if __name__ == "__main__":
    main()
