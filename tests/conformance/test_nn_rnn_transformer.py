"""RNN/LSTM/GRU, MultiheadAttention and Transformer layers against PyTorch: same weights (copied
through state_dict), same inputs; outputs and every parameter gradient must agree."""
import numpy as np
import pytest

import ember
from ember.nn.utils import rnn as ember_rnn_utils

torch = pytest.importorskip("torch")


def _copy_weights(torch_module, ember_module):
    state = {k: ember.tensor(v.detach().numpy()) for k, v in torch_module.state_dict().items()}
    ember_module.load_state_dict(state)


def _close(ember_t, torch_t, atol=1e-10):
    np.testing.assert_allclose(ember_t.detach().numpy(), torch_t.detach().numpy(), atol=atol,
                               rtol=1e-7)


def _compare_grads(torch_module, ember_module, atol=1e-9):
    ember_params = dict(ember_module.named_parameters())
    for name, p in torch_module.named_parameters():
        if p.grad is None:
            assert ember_params[name].grad is None, name
            continue
        np.testing.assert_allclose(ember_params[name].grad.numpy(), p.grad.numpy(), atol=atol,
                                   rtol=1e-7, err_msg=name)


def _pair(shape, rng):
    data = rng.standard_normal(shape)
    return (torch.tensor(data, requires_grad=True), ember.tensor(data, requires_grad=True))


# mode, kwargs, unbatched, with initial state, packed (lengths, enforce_sorted)
RNN_SPECS = [
    ("LSTM", {}, False, False, None),
    ("LSTM", {"num_layers": 2}, False, True, None),
    ("LSTM", {"bidirectional": True}, False, True, None),
    ("LSTM", {"num_layers": 2, "bidirectional": True, "batch_first": True}, False, True, None),
    ("LSTM", {"bias": False}, False, False, None),
    ("LSTM", {"proj_size": 3}, False, True, None),
    ("LSTM", {"proj_size": 2, "num_layers": 2, "bidirectional": True}, False, False, None),
    ("LSTM", {}, True, True, None),
    ("LSTM", {"bidirectional": True}, True, False, None),
    ("LSTM", {"num_layers": 2, "bidirectional": True}, False, True, ([5, 3, 2], True)),
    ("LSTM", {"proj_size": 3}, False, True, ([2, 5, 4], False)),
    ("GRU", {}, False, False, None),
    ("GRU", {"num_layers": 2, "bidirectional": True}, False, True, None),
    ("GRU", {"batch_first": True, "bias": False}, False, True, None),
    ("GRU", {}, True, True, None),
    ("GRU", {"bidirectional": True}, False, True, ([3, 5, 1], False)),
    ("RNN", {}, False, True, None),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}, False, False, None),
    ("RNN", {"bidirectional": True, "batch_first": True}, False, True, None),
    ("RNN", {"nonlinearity": "relu"}, True, False, None),
    ("RNN", {"bidirectional": True, "num_layers": 2}, False, True, ([4, 4, 2], True)),
]


@pytest.mark.parametrize("mode,kwargs,unbatched,with_state,packed", RNN_SPECS)
def test_recurrent_layer_matches_torch(mode, kwargs, unbatched, with_state, packed):
    rng = np.random.default_rng(0)
    in_size, hidden, steps, batch = 4, 5, 5, 3
    torch_m = getattr(torch.nn, mode)(in_size, hidden, **kwargs).double()
    ember_m = getattr(ember.nn, mode)(in_size, hidden, **kwargs).double()
    _copy_weights(torch_m, ember_m)
    batch_first = kwargs.get("batch_first", False)
    shape = (steps, in_size) if unbatched else \
        ((batch, steps, in_size) if batch_first else (steps, batch, in_size))
    tx, ex = _pair(shape, rng)
    t_in, e_in = tx, ex
    if packed is not None:
        lengths, enforce_sorted = packed
        t_in = torch.nn.utils.rnn.pack_padded_sequence(tx, lengths, batch_first=batch_first,
                                                       enforce_sorted=enforce_sorted)
        e_in = ember_rnn_utils.pack_padded_sequence(ex, lengths, batch_first=batch_first,
                                                    enforce_sorted=enforce_sorted)
    args_t, args_e = (t_in,), (e_in,)
    if with_state:
        layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
        out_size = kwargs.get("proj_size", 0) or hidden
        lead = (layers,) if unbatched else (layers, batch)
        th, eh = _pair(lead + (out_size,), rng)
        if mode == "LSTM":
            tc, ec = _pair(lead + (hidden,), rng)
            args_t, args_e = (t_in, (th, tc)), (e_in, (eh, ec))
        else:
            args_t, args_e = (t_in, th), (e_in, eh)
    t_out, t_hidden = torch_m(*args_t)
    e_out, e_hidden = ember_m(*args_e)
    if packed is not None:
        t_out = torch.nn.utils.rnn.pad_packed_sequence(t_out, batch_first=batch_first)[0]
        e_out = ember_rnn_utils.pad_packed_sequence(e_out, batch_first=batch_first)[0]
    t_states = t_hidden if mode == "LSTM" else (t_hidden,)
    e_states = e_hidden if mode == "LSTM" else (e_hidden,)
    _close(e_out, t_out)
    for es, ts in zip(e_states, t_states):
        _close(es, ts)
    weight_out = rng.standard_normal(tuple(t_out.shape))
    t_loss = (t_out * torch.tensor(weight_out)).sum() + sum(s.sum() * 0.5 for s in t_states)
    e_loss = (e_out * ember.tensor(weight_out)).sum() + sum(s.sum() * 0.5 for s in e_states)
    t_loss.backward()
    e_loss.backward()
    _close(ex.grad, tx.grad)
    _compare_grads(torch_m, ember_m)
    if with_state:
        _close(eh.grad, th.grad)


CELL_SPECS = [
    ("RNNCell", {}, False, True), ("RNNCell", {"nonlinearity": "relu", "bias": False}, True, True),
    ("LSTMCell", {}, False, True), ("LSTMCell", {}, True, False), ("LSTMCell", {"bias": False},
                                                                   False, False),
    ("GRUCell", {}, False, True), ("GRUCell", {"bias": False}, True, True),
]


@pytest.mark.parametrize("name,kwargs,unbatched,with_state", CELL_SPECS)
def test_cell_matches_torch(name, kwargs, unbatched, with_state):
    rng = np.random.default_rng(1)
    torch_m = getattr(torch.nn, name)(4, 6, **kwargs).double()
    ember_m = getattr(ember.nn, name)(4, 6, **kwargs).double()
    _copy_weights(torch_m, ember_m)
    lead = () if unbatched else (3,)
    tx, ex = _pair(lead + (4,), rng)
    args_t, args_e = (tx,), (ex,)
    if with_state:
        th, eh = _pair(lead + (6,), rng)
        if name == "LSTMCell":
            tc, ec = _pair(lead + (6,), rng)
            args_t, args_e = (tx, (th, tc)), (ex, (eh, ec))
        else:
            args_t, args_e = (tx, th), (ex, eh)
    t_out, e_out = torch_m(*args_t), ember_m(*args_e)
    t_outs = t_out if isinstance(t_out, tuple) else (t_out,)
    e_outs = e_out if isinstance(e_out, tuple) else (e_out,)
    for eo, to in zip(e_outs, t_outs):
        _close(eo, to)
    sum((o * (k + 1)).sum() for k, o in enumerate(t_outs)).backward()
    sum((o * (k + 1)).sum() for k, o in enumerate(e_outs)).backward()
    _close(ex.grad, tx.grad)
    _compare_grads(torch_m, ember_m)


def test_pack_pad_roundtrip_matches_torch():
    rng = np.random.default_rng(2)
    data = rng.standard_normal((3, 6, 2))
    lengths = [4, 6, 1]
    tp = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(data), lengths, batch_first=True,
                                                 enforce_sorted=False)
    ep = ember_rnn_utils.pack_padded_sequence(ember.tensor(data), lengths, batch_first=True,
                                              enforce_sorted=False)
    _close(ep.data, tp.data)
    assert ep.batch_sizes.tolist() == tp.batch_sizes.tolist()
    assert ep.sorted_indices.tolist() == tp.sorted_indices.tolist()
    assert ep.unsorted_indices.tolist() == tp.unsorted_indices.tolist()
    t_pad, t_len = torch.nn.utils.rnn.pad_packed_sequence(tp, batch_first=False,
                                                          padding_value=-2.0, total_length=7)
    e_pad, e_len = ember_rnn_utils.pad_packed_sequence(ep, batch_first=False,
                                                       padding_value=-2.0, total_length=7)
    _close(e_pad, t_pad)
    assert e_len.tolist() == t_len.tolist()


@pytest.mark.parametrize("batch_first,padding_side", [(False, "right"), (True, "left")])
def test_pad_sequence_matches_torch(batch_first, padding_side):
    rng = np.random.default_rng(3)
    seqs = [rng.standard_normal((n, 3)) for n in (2, 5, 3)]
    t = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first=batch_first,
                                        padding_value=1.5, padding_side=padding_side)
    e = ember_rnn_utils.pad_sequence([ember.tensor(s) for s in seqs], batch_first=batch_first,
                                     padding_value=1.5, padding_side=padding_side)
    _close(e, t)


# kwargs for the module, call options, key/value source ("self", "cross", "kvdim"), unbatched
MHA_SPECS = [
    ({}, {}, "self", False),
    ({}, {"need_weights": False}, "self", False),
    ({}, {"average_attn_weights": False}, "cross", False),
    ({"batch_first": True}, {"attn_mask": "bool"}, "self", False),
    ({}, {"attn_mask": "float"}, "cross", False),
    ({}, {"attn_mask": "bool3d"}, "self", False),
    ({}, {"key_padding_mask": "bool"}, "cross", False),
    ({"batch_first": True}, {"key_padding_mask": "float", "attn_mask": "bool"}, "self", False),
    ({"kdim": 3, "vdim": 5}, {}, "kvdim", False),
    ({"kdim": 3, "vdim": 5, "batch_first": True}, {"need_weights": False}, "kvdim", False),
    ({"bias": False}, {}, "self", False),
    ({"add_bias_kv": True}, {"key_padding_mask": "bool"}, "cross", False),
    ({"add_zero_attn": True}, {"attn_mask": "float"}, "self", False),
    ({"add_bias_kv": True, "add_zero_attn": True}, {}, "cross", False),
    ({}, {}, "self", True),
    ({}, {"attn_mask": "bool", "key_padding_mask": "bool"}, "cross", True),
]


def _mha_masks(opts, rng, tgt_len, src_len, batch, heads, unbatched):
    t_opts, e_opts = {}, {}
    for name, kind in opts.items():
        if name not in ("attn_mask", "key_padding_mask"):
            t_opts[name] = e_opts[name] = kind
            continue
        if name == "attn_mask":
            shape = (batch * heads, tgt_len, src_len) if kind == "bool3d" else (tgt_len, src_len)
        else:
            shape = (src_len,) if unbatched else (batch, src_len)
        if kind.startswith("bool"):
            mask = rng.random(shape) < 0.3
            mask[..., 0] = False  # every query keeps at least one key
        else:
            mask = rng.standard_normal(shape)
        t_opts[name], e_opts[name] = torch.tensor(mask), ember.tensor(mask)
    return t_opts, e_opts


@pytest.mark.parametrize("kwargs,opts,source,unbatched", MHA_SPECS)
def test_multihead_attention_matches_torch(kwargs, opts, source, unbatched):
    rng = np.random.default_rng(4)
    embed, heads, tgt_len, src_len, batch = 8, 2, 4, 5, 3
    torch_m = torch.nn.MultiheadAttention(embed, heads, **kwargs).double()
    ember_m = ember.nn.MultiheadAttention(embed, heads, **kwargs).double()
    _copy_weights(torch_m, ember_m)
    batch_first = kwargs.get("batch_first", False)

    def shape(length, dim):
        if unbatched:
            return (length, dim)
        return (batch, length, dim) if batch_first else (length, batch, dim)

    tq, eq = _pair(shape(tgt_len, embed), rng)
    if source == "self":
        (tk, ek), (tv, ev), src_len = (tq, eq), (tq, eq), tgt_len
    else:
        tk, ek = _pair(shape(src_len, kwargs.get("kdim", embed)), rng)
        tv, ev = _pair(shape(src_len, kwargs.get("vdim", embed)), rng)
    t_opts, e_opts = _mha_masks(opts, rng, tgt_len, src_len, batch, heads, unbatched)
    t_out, t_w = torch_m(tq, tk, tv, **t_opts)
    e_out, e_w = ember_m(eq, ek, ev, **e_opts)
    _close(e_out, t_out)
    assert (e_w is None) == (t_w is None)
    loss_t, loss_e = t_out.pow(2).sum(), e_out.pow(2).sum()
    if t_w is not None:
        _close(e_w, t_w)
        loss_t, loss_e = loss_t + (t_w * t_w).sum(), loss_e + (e_w * e_w).sum()
    loss_t.backward()
    loss_e.backward()
    for e_in, t_in in ((eq, tq), (ek, tk), (ev, tv)):
        _close(e_in.grad, t_in.grad)
    _compare_grads(torch_m, ember_m)


# layer class, kwargs, masks used
TRANSFORMER_SPECS = [
    ("TransformerEncoderLayer", {}, False),
    ("TransformerEncoderLayer", {"norm_first": True, "activation": "gelu"}, True),
    ("TransformerEncoderLayer", {"batch_first": True, "bias": False}, True),
    ("TransformerDecoderLayer", {}, True),
    ("TransformerDecoderLayer", {"norm_first": True, "batch_first": True}, False),
    ("Transformer", {"num_encoder_layers": 2, "num_decoder_layers": 1}, True),
    ("Transformer", {"num_encoder_layers": 1, "num_decoder_layers": 2, "norm_first": True,
                     "activation": "gelu", "batch_first": True}, False),
]


@pytest.mark.parametrize("name,kwargs,masked", TRANSFORMER_SPECS)
def test_transformer_layers_match_torch(name, kwargs, masked):
    rng = np.random.default_rng(5)
    d_model, heads, ff, src_len, tgt_len, batch = 8, 2, 16, 5, 4, 3
    args = (d_model, heads) if name != "Transformer" else ()
    if name == "Transformer":
        kwargs = dict(kwargs, d_model=d_model, nhead=heads)
    torch_m = getattr(torch.nn, name)(*args, dim_feedforward=ff, dropout=0.0, **kwargs).double()
    ember_m = getattr(ember.nn, name)(*args, dim_feedforward=ff, dropout=0.0, **kwargs).double()
    _copy_weights(torch_m, ember_m)
    batch_first = kwargs.get("batch_first", False)

    def shape(length):
        return (batch, length, d_model) if batch_first else (length, batch, d_model)

    ts, es = _pair(shape(src_len), rng)
    tt, et = _pair(shape(tgt_len), rng)
    t_kw, e_kw = {}, {}
    if masked:
        causal = torch.nn.Transformer.generate_square_subsequent_mask(tgt_len, dtype=torch.double)
        padding = rng.random((batch, src_len)) < 0.3
        padding[:, 0] = False
        names = {"TransformerEncoderLayer": ("src_key_padding_mask", None),
                 "TransformerDecoderLayer": ("memory_key_padding_mask", "tgt_mask"),
                 "Transformer": ("src_key_padding_mask", "tgt_mask")}[name]
        t_kw[names[0]], e_kw[names[0]] = torch.tensor(padding), ember.tensor(padding)
        if names[1]:
            t_kw[names[1]] = causal
            e_kw[names[1]] = ember.nn.Transformer.generate_square_subsequent_mask(
                tgt_len, dtype=ember.float64)
    if name == "TransformerEncoderLayer":
        t_out, e_out = torch_m(ts, **t_kw), ember_m(es, **e_kw)
    elif name == "TransformerDecoderLayer":
        t_out, e_out = torch_m(tt, ts, **t_kw), ember_m(et, es, **e_kw)
    else:
        t_out, e_out = torch_m(ts, tt, **t_kw), ember_m(es, et, **e_kw)
    _close(e_out, t_out, atol=1e-9)
    t_out.pow(2).sum().backward()
    e_out.pow(2).sum().backward()
    _close(es.grad, ts.grad, atol=1e-8)
    _compare_grads(torch_m, ember_m, atol=1e-8)


def test_transformer_encoder_with_norm_matches_torch():
    rng = np.random.default_rng(6)
    t_layer = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0)
    torch_m = torch.nn.TransformerEncoder(t_layer, 2, norm=torch.nn.LayerNorm(8),
                                          enable_nested_tensor=False).double()
    e_layer = ember.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0)
    ember_m = ember.nn.TransformerEncoder(e_layer, 2, norm=ember.nn.LayerNorm(8)).double()
    _copy_weights(torch_m, ember_m)
    tx, ex = _pair((5, 2, 8), rng)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.double)
    t_out = torch_m(tx, mask=mask)
    e_out = ember_m(ex, mask=ember.tensor(mask.numpy()))
    _close(e_out, t_out, atol=1e-9)
