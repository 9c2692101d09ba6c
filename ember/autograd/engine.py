"""The backward pass: count dependencies, then run nodes in topological order (Kahn's algorithm).

Iterative throughout, so graphs of any depth (an RNN unrolled over 100k steps) are fine. A node
runs once every consumer of its outputs has delivered its gradient. Gradients arriving at an
input are reduced to that input's shape here, in one place, so ops never un-broadcast by hand.
"""
from __future__ import annotations

from . import function as _fn
from . import grad_mode

_state = grad_mode.state


def _collect(roots):
    """Dependency counts of every node reachable from ``roots`` (each edge counted once)."""
    deps = {}
    seen = set()
    stack = []
    for node in roots:
        if node not in seen:
            seen.add(node)
            stack.append(node)
    while stack:
        node = stack.pop()
        if isinstance(node, _fn.Node):
            for edge in node.next_functions:
                if edge is None:
                    continue
                child = edge[0]
                deps[child] = deps.get(child, 0) + 1
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
    return deps


def _needed(roots, deps, targets):
    """Nodes with a path to some target (for autograd.grad, which runs only those)."""
    remaining = dict(deps)
    order = []
    ready = [n for n in dict.fromkeys(roots) if remaining.get(n, 0) == 0]
    while ready:
        node = ready.pop()
        order.append(node)
        if isinstance(node, _fn.Node):
            for edge in node.next_functions:
                if edge is None:
                    continue
                remaining[edge[0]] -= 1
                if remaining[edge[0]] == 0:
                    ready.append(edge[0])
    needed = set()
    for node in reversed(order):
        if node in targets:
            needed.add(node)
        elif isinstance(node, _fn.Node) and any(e is not None and e[0] in needed
                                                for e in node.next_functions):
            needed.add(node)
    return needed


def _sum_to(grad, shape):
    if grad._data.shape == shape:
        return grad
    return grad.sum_to_size(shape)


def _accumulate_leaf(tensor, grad, create_graph, handed_out):
    for hook in tensor._hooks or ():
        new = hook(grad)
        if new is not None:
            grad = new
    if tensor.grad is None:
        if not create_graph:
            grad = grad.detach()
            # PyTorch's layout contract: .grad is laid out like its parameter. A transposed
            # gradient (Linear's weight) would make every optimizer pass several times slower.
            if not grad._data.flags.c_contiguous and tensor._data.flags.c_contiguous:
                grad = grad.contiguous()
            if id(grad._data) in handed_out:
                grad = grad.clone()
            handed_out.add(id(grad._data))
        tensor.grad = grad
    elif create_graph:
        tensor.grad = tensor.grad + grad
    else:
        tensor.grad = (tensor.grad + grad.detach()).detach()
    for hook in tensor._post_accumulate_hooks or ():
        hook(tensor)


def _materialize(node, grads):
    """Zeros for the outputs of a multi-output node that received no gradient."""
    like = next(g for g in grads if g is not None)
    for i, g in enumerate(grads):
        if g is None and i < len(node._out_shapes) and node._out_shapes[i] is not None:
            grads[i] = like.new_zeros(node._out_shapes[i])
    return grads


def run_backward(roots, grad_roots, retain_graph: bool, create_graph: bool, inputs=None,
                 accumulate: bool = True):
    """Propagate ``grad_roots`` from the tensors ``roots`` through the graph.

    With ``inputs`` (tensors), their gradients are captured and returned in order; with
    ``accumulate`` they are also (or, without ``inputs``, all leaves are) accumulated into ``.grad``.
    """
    root_edges = []
    for t in roots:
        root_edges.append((t, 0) if t.grad_fn is None else (t.grad_fn, t._output_nr))
    deps = _collect([e[0] for e in root_edges])

    targets = None
    captured = None
    if inputs is not None:
        targets = {}
        for k, t in enumerate(inputs):
            key = t if t.grad_fn is None else t.grad_fn
            targets.setdefault(key, []).append((k, 0 if t.grad_fn is None else t._output_nr))
        captured = [None] * len(inputs)
        needed = _needed([e[0] for e in root_edges], deps, targets)
    else:
        needed = None

    buffers = {}
    for (node, nr), g in zip(root_edges, grad_roots):
        buf = buffers.get(node)
        if buf is None:
            n_out = len(node._out_shapes) if isinstance(node, _fn.Node) else 1
            buf = buffers[node] = [None] * max(n_out, 1)
        buf[nr] = g if buf[nr] is None else buf[nr] + g

    handed_out = {id(g._data) for g in grad_roots}
    prev_enabled = _state.enabled
    _state.enabled = create_graph
    Node = _fn.Node
    try:
        ready = [n for n in dict.fromkeys(e[0] for e in root_edges) if deps.get(n, 0) == 0]
        while ready:
            node = ready.pop()
            grads = buffers.pop(node, None)
            if needed is not None and node not in needed:
                _release_subtree(node, deps, ready, retain_graph)
                continue
            if not isinstance(node, _fn.Node):  # a leaf tensor
                if grads is None or grads[0] is None:
                    continue
                if targets is not None and node in targets:
                    for k, _ in targets[node]:
                        captured[k] = grads[0]
                    if accumulate:
                        _accumulate_leaf(node, grads[0], create_graph, handed_out)
                    continue
                if accumulate and inputs is None:
                    _accumulate_leaf(node, grads[0], create_graph, handed_out)
                continue
            if grads is None:
                grads = [None] * max(len(node._out_shapes), 1)
            if node._pre_hooks:
                _run_tensor_hooks(node, grads)
            if targets is not None and node in targets:
                for k, nr in targets[node]:
                    captured[k] = grads[nr]
                if not any(e is not None and e[0] in needed for e in node.next_functions):
                    _release_subtree(node, deps, ready, retain_graph)
                    continue
            in_grads = _call_backward(node, grads)
            if in_grads is None:  # no gradient arrived: nothing flows on
                _release_subtree(node, deps, ready, retain_graph)
                continue
            if not retain_graph:
                node._release()
            i = 0
            for edge in node.next_functions:
                if edge is not None:
                    child = edge[0]
                    g = in_grads[i]
                    if g is not None:
                        nr = edge[1]
                        shape = child._out_shapes[nr] if isinstance(child, Node) else \
                            child._data.shape
                        if g._data.shape != shape:
                            g = g.sum_to_size(shape)
                        buf = buffers.get(child)
                        if buf is None:
                            buf = buffers[child] = [None] * (
                                len(child._out_shapes) if isinstance(child, Node) else 1)
                            buf[nr] = g
                        elif buf[nr] is None:
                            buf[nr] = g
                        else:
                            buf[nr] = buf[nr] + g
                    left = deps[child] - 1
                    deps[child] = left
                    if left == 0:
                        ready.append(child)
                i += 1
    finally:
        _state.enabled = prev_enabled
    return captured


def _run_tensor_hooks(node, grads):
    for nr, hooks in node._pre_hooks.items():
        for hook in hooks:
            if grads[nr] is not None:
                new = hook(grads[nr])
                if new is not None:
                    grads[nr] = new


def _release_subtree(node, deps, ready, retain_graph):
    """Skip a node that contributes nothing, still counting down its children."""
    if isinstance(node, _fn.Node):
        if not retain_graph:
            node._release()
        for edge in node.next_functions:
            if edge is None:
                continue
            deps[edge[0]] -= 1
            if deps[edge[0]] == 0:
                ready.append(edge[0])


def _call_backward(node, grads):
    """Run one node's backward; None when no gradient reached any of its outputs."""
    if len(grads) == 1:
        if grads[0] is None:
            return None
    else:
        if all(g is None for g in grads):
            return None
        if node.materialize_grads and any(g is None for g in grads):
            grads = _materialize(node, grads)
    if node._node_pre_hooks:
        for hook in node._node_pre_hooks:
            new = hook(tuple(grads))
            if new is not None:
                grads = list(new)
    result = node.backward(node, *grads)
    n_inputs = len(node.next_functions)
    if result.__class__ is not tuple:
        result = (result,)
    if len(result) != n_inputs:
        result = _fit(node, result, n_inputs)
    if node._node_hooks:
        for hook in node._node_hooks:
            new = hook(result, tuple(grads))
            if new is not None:
                result = tuple(new)
    if _fn.anomaly.enabled and _fn.anomaly.check_nan:
        _check_nan(node, result)
    return result


def _fit(node, result, n_inputs):
    if len(result) < n_inputs:
        return result + (None,) * (n_inputs - len(result))
    if any(r is not None for r in result[n_inputs:]):
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                           f"(expected {n_inputs}, got {len(result)})")
    return result[:n_inputs]


def _check_nan(node, result):
    for i, r in enumerate(result):
        if r is not None and bool(r._device.backend.xp.isnan(r._data).any()):
            trace = "".join(node._trace or ["(no forward trace recorded)\n"])
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               f"output.\nForward of {node.name()} was called at:\n{trace}")
