"""ember.multiprocessing: Python's multiprocessing plus ``spawn`` (torch.multiprocessing.spawn).

Unlike torch.multiprocessing, tensors are not moved through shared memory when sent between
processes: they are pickled (copied), as any NumPy array would be.
"""
from multiprocessing import *  # noqa: F401,F403

from .spawn import (ProcessContext, ProcessException, ProcessExitedException,  # noqa: F401
                    ProcessRaisedException, spawn, start_processes)
