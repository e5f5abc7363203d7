"""Cells that are safe to run again: readers re-run the cell they are on, or every cell, without
restarting the kernel, so no cell may depend on being run once.

``rebound_names`` finds, without running anything, the usual culprit: a cell that rebinds a name it
also reads, such as ``images = images / 255``; run twice, it divides twice. ``rerun_notebook`` runs a
notebook with every code cell executed twice in a row, which finds the rest (a list appended to,
an array scaled in place). ``python -m chapters.tools.notebooks rerun NOTEBOOK...`` runs it.
"""

import ast
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError


def python_source(cell_source: str) -> str:
    """Return ``cell_source`` as the plain Python IPython runs: each magic or shell line (``%pip ...``,
    ``!ls``) becomes a call on its own line, so line numbers still match the cell's."""
    return TransformerManager().transform_cell(cell_source)


class _CellWalk(ast.NodeVisitor):
    """Walks a cell's top level in the order Python evaluates it, recording which names the cell
    reads before binding them and which of those it then binds (or deletes) at top level.

    Function and class bodies run later, in their own scope, so only their name is bound here;
    comprehension variables and lambda parameters are local to them.
    """

    def __init__(self) -> None:
        self.bound: set[str] = set()
        self.read_before_bound: set[str] = set()
        self.rebound: dict[str, int] = {}
        self.local_scopes: list[set[str]] = []

    def read(self, name: str) -> None:
        """Note that the cell reads ``name``: a value from before the cell, unless it bound it already."""
        if name not in self.bound:
            self.read_before_bound.add(name)

    def bind(self, name: str, line: int) -> None:
        """Note that the cell binds ``name`` at ``line``: a rebinding if it read the earlier value."""
        if name in self.read_before_bound:
            self.rebound.setdefault(name, line)
        self.bound.add(name)

    def visit_Name(self, node: ast.Name) -> None:
        if any(node.id in scope for scope in self.local_scopes):
            return
        if not isinstance(node.ctx, ast.Store):  # a load, or a ``del`` (which needs the name)
            self.read(node.id)
        if not isinstance(node.ctx, ast.Load):
            self.bind(node.id, node.lineno)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
            self.visit(node.target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self.read(node.target.id)
        self.visit(node.target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self.visit(node.target)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self.visit(node.target)
        for statement in node.body + node.orelse:
            self.visit(statement)

    visit_AsyncFor = visit_For

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != "*":
                self.bind(alias.asname or alias.name.split(".")[0], node.lineno)

    visit_ImportFrom = visit_Import

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self.bind(node.name, node.lineno)
        for statement in node.body:
            self.visit(statement)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for expression in node.decorator_list + node.args.defaults + node.args.kw_defaults:
            if expression is not None:
                self.visit(expression)
        self.bind(node.name, node.lineno)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expression in node.decorator_list + node.bases + [keyword.value for keyword in node.keywords]:
            self.visit(expression)
        self.bind(node.name, node.lineno)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for expression in node.args.defaults + node.args.kw_defaults:
            if expression is not None:
                self.visit(expression)
        arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
        arguments += [argument for argument in (node.args.vararg, node.args.kwarg) if argument]
        self.local_scopes.append({argument.arg for argument in arguments})
        self.visit(node.body)
        self.local_scopes.pop()

    def _visit_comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp
    ) -> None:
        self.visit(node.generators[0].iter)  # the only part evaluated in the enclosing scope
        targets = [name for generator in node.generators for name in ast.walk(generator.target)]
        self.local_scopes.append({name.id for name in targets if isinstance(name, ast.Name)})
        for index, generator in enumerate(node.generators):
            if index:
                self.visit(generator.iter)
            for condition in generator.ifs:
                self.visit(condition)
        for part in (node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,):
            self.visit(part)
        self.local_scopes.pop()

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _visit_comprehension


def walk_cell(cell_source: str) -> _CellWalk:
    """Return the finished walk of a cell's source (magics included): what it binds and rebinds."""
    walk = _CellWalk()
    walk.visit(ast.parse(python_source(cell_source)))
    return walk


def rebound_names(cell_source: str, earlier_names: set[str]) -> dict[str, int]:
    """Return the names the cell rebinds at top level after reading them, among ``earlier_names``
    (bound by earlier cells), each with the line (from 1) that rebinds it: ``x = f(x)``, ``x += 1``,
    ``x, y = y, x``. Run a second time, such a cell starts from its own result, not its input.

    Names the cell binds before reading, and assignments to attributes or items
    (``base.trainable = False``, ``table[key] = value``), are not rebinding.
    """
    rebound = walk_cell(cell_source).rebound
    return {name: line for name, line in rebound.items() if name in earlier_names}


def bound_names(cell_source: str) -> set[str]:
    """Return the names the cell binds at top level (assigned, imported, defined, loop variables)."""
    return walk_cell(cell_source).bound


def first_line(source: str) -> str:
    """Return the first non-blank line of ``source``, or ``""``."""
    return next((line for line in source.splitlines() if line.strip()), "")


@dataclass
class RerunFailure:
    """A cell that failed when run twice in a row: where it is and the error it raised."""

    notebook: Path
    cell_index: int
    first_source_line: str
    run: str
    error: str

    def __str__(self) -> str:
        where = f"{self.notebook}: cell {self.cell_index} ({self.first_source_line!r}), {self.run} run"
        return f"{where}: {self.error}"


def rerun_notebook(path: Path) -> RerunFailure | None:
    """Run the notebook at ``path`` in one kernel, from its folder and in this process's environment
    (``KERAS_BACKEND``, ``CHAPTERS_MODE``, ...), each code cell twice in a row; return the first
    failure, or ``None`` if every run of every cell succeeded. The file is left unchanged.
    """
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, resources={"metadata": {"path": str(path.resolve().parent)}})
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            for run in ("first", "second"):
                try:
                    client.execute_cell(cell, index)
                    continue
                except CellExecutionError as error:
                    summary = f"{error.ename}: {error.evalue}"
                except DeadKernelError as error:
                    summary = f"the kernel died: {error}"
                return RerunFailure(path, index, first_line(cell.source), run, summary)
    return None


def rerun_notebooks(paths: list[Path]) -> list[RerunFailure]:
    """Rerun each notebook (see ``rerun_notebook``), printing one line each with its wall time;
    return the failures."""
    failures = []
    for path in paths:
        started = time.perf_counter()
        failure = rerun_notebook(path)
        outcome = "FAILED" if failure else "passed"
        print(
            f"{path}: {outcome}, each code cell run twice, in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        if failure:
            failures.append(failure)
    return failures
