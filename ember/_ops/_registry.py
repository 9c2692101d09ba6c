"""The op registry: each op family registers its public functions and Tensor methods here;
``ember/__init__`` re-exports the functions and installs the methods on ``Tensor``."""
from __future__ import annotations

FUNCTIONS: dict = {}
METHODS: dict = {}
NN_FUNCTIONAL: dict = {}


def export(fn=None, *, name: str | None = None, method: bool | str = True,
           function: bool = True, nn: bool = False, aliases: tuple = ()):
    """Register ``fn`` as ``ember.<name>`` (``function``), ``Tensor.<name>`` (``method``) and
    ``ember.nn.functional.<name>`` (``nn``).

    ``method`` may be a string to install the method under another name; ``aliases`` adds more
    names for all of them.
    """
    def register(f):
        names = (name or f.__name__,) + tuple(aliases)
        for n in names:
            if function:
                FUNCTIONS[n] = f
            if method:
                METHODS[method if isinstance(method, str) and n == names[0] else n] = f
            if nn:
                NN_FUNCTIONAL[n] = f
        return f
    return register(fn) if fn is not None else register


def method(name: str, fn) -> None:
    """Register a Tensor-only method (operators, in-place variants...)."""
    METHODS[name] = fn


def install(tensor_cls, namespace: dict) -> None:
    for name, f in METHODS.items():
        if name not in tensor_cls.__dict__ or name.startswith("__"):
            setattr(tensor_cls, name, f)
    for name, f in FUNCTIONS.items():
        namespace.setdefault(name, f)
