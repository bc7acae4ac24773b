"""The kernel every notebook of the suite runs on: this project's own Python.

A kernel is found by name through Jupyter's kernelspec search path, and a
user-level ``python3`` kernelspec (Anaconda, pyenv, an old ``ipykernel install
--user``) can shadow the one in the project's virtual environment, so every
notebook failed with ``ModuleNotFoundError: sparkify_nb``. So:

- ``sparkify-nb run``, ``make notebooks`` and the tests ask for the kernel
  :data:`NAME` through :class:`KernelManager`, which answers that name with
  the interpreter running this code (``sys.executable``) whatever kernelspecs
  exist on disk (as nbval's ``--nbval-current-env`` does);
- ``make install`` installs a kernelspec of the same name into the virtual
  environment (``python -m ipykernel install --sys-prefix --name sparkify-nb``)
  and ``make lab`` prefers environment kernelspecs over user ones
  (``JUPYTER_PREFER_ENV_PATH=1``), so JupyterLab opens the notebooks, whose
  metadata names :data:`NAME`, on the same interpreter.

Example::

    >>> import papermill as pm                                   # doctest: +SKIP
    >>> pm.execute_notebook("in.ipynb", "out.ipynb", **kernel.options())
"""

from __future__ import annotations

from typing import Any

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from traitlets import default

NAME = "sparkify-nb"
DISPLAY_NAME = "Python (sparkify-nb)"
METADATA = {"name": NAME, "display_name": DISPLAY_NAME, "language": "python"}
"""The ``kernelspec`` entry of every notebook's metadata."""


def spec() -> KernelSpec:
    """The kernelspec of :data:`NAME`: ipykernel on ``sys.executable``."""
    import ipykernel.kernelspec

    values = ipykernel.kernelspec.get_kernel_dict()
    values["display_name"] = DISPLAY_NAME
    return KernelSpec(resource_dir=ipykernel.kernelspec.RESOURCES, **values)


class KernelSpecs(KernelSpecManager):
    """Kernelspecs as Jupyter finds them, except :data:`NAME`, which is always
    this interpreter."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        if kernel_name == NAME:
            return spec()
        return super().get_kernel_spec(kernel_name)


class KernelManager(AsyncKernelManager):
    """nbclient's kernel manager, looking kernels up in :class:`KernelSpecs`."""

    @default("kernel_spec_manager")
    def _project_kernel_specs(self) -> KernelSpecManager:
        return KernelSpecs(data_dir=self.data_dir)


def options() -> dict[str, Any]:
    """Keyword arguments for ``papermill.execute_notebook`` or
    ``nbclient.NotebookClient`` that run the notebook on :data:`NAME`."""
    return {"kernel_name": NAME, "kernel_manager_class": KernelManager}
