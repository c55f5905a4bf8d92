"""The ``jit-workbook`` command: thin wrappers over :mod:`jit_workbook.actions`.

Every command opens the workbook, calls one library function and prints one line.
Errors meant for the owner (:class:`~jit_workbook.errors.JitError`) become a plain
message and their exit code here, in one place: 2 when the workbook cannot be used
as it is (nothing was changed), 1 for anything unexpected.
"""

from __future__ import annotations

import atexit
import errno
import os
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path

import click

from . import actions
from .errors import JitError, WorkbookError
from .io.file_book import FileBook, backup_path

# Files larger than this get a progress bar (about 50,000 sales lines).
PROGRESS_BYTES = 1_500_000


class FriendlyGroup(click.Group):
    """Turns library errors into a one-line message and an exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except JitError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:  # the program reading our output stopped (`| head`): the run's
            # own work is done or undone on its own terms, so claim nothing about the file
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
            click.echo("Error: the result could not be printed (the program reading it stopped).", err=True)
            ctx.exit(1)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
                self._unexpected(ctx, exc)
            click.echo(f"Error: not enough disk space to save {exc.filename or 'the result'}. "
                       "Free some space and run again.", err=True)
            ctx.exit(2)
        except Exception as exc:
            self._unexpected(ctx, exc)

    @staticmethod
    def _unexpected(ctx: click.Context, exc: Exception):
        """The owner sees one line; --debug shows the traceback."""
        if ctx.params.get("debug"):
            traceback.print_exc()
        click.echo(f"Error: unexpected {type(exc).__name__}: {exc}. Nothing was saved. "
                   "Run again with --debug and send the output to support.", err=True)
        ctx.exit(1)


def workbook_arguments(command):
    """PATH, --output and --quiet: what every action on a workbook takes."""
    command = click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")(command)
    command = click.option("--output", "-o", type=click.Path(path_type=Path),
                           help="Write the result here and leave PATH untouched.")(command)
    # No dir_okay=False: click's three-line usage error would say what check_readable says in one.
    return click.argument("path", type=click.Path(path_type=Path))(command)


@click.group(cls=FriendlyGroup)
@click.option("--debug", is_flag=True, help="Show the full traceback of unexpected errors.")
@click.version_option(package_name="jit-workbook")
def cli(debug: bool) -> None:
    """Just-in-time stock planning in an Excel workbook.

    Fill the input sheets (Settings, Stock, Sales, Suppliers, Receipts), run
    ``jit-workbook recalc JIT_Inventory.xlsx`` and read Reorder and Data Issues.
    """


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@click.option("--macros", is_flag=True, help="Make a macro-enabled PATH.xlsm with buttons on Reorder, Orders "
                                             "and Obsolete Review (xlwings' VBA).")
def new(path: Path, force: bool, macros: bool) -> None:
    """Create a fresh, empty workbook at PATH from the template.

    Also writes NAME.py beside it: the module the xlwings add-in's "Run main" button
    (and the --macros buttons) run; it picks the action from the sheet you are on.

    Examples: jit-workbook new JIT_Inventory.xlsx;
    jit-workbook new JIT_Inventory.xlsm --macros
    """
    from .excel_setup import build_macro_workbook, runner_module_name, write_runner_module
    from .io.xlsx_patch import atomic_replace
    from .template import build_template

    if path.is_dir():
        raise WorkbookError(f"{path} is a folder; give the new workbook's file name, e.g. "
                            f"{path / ('JIT_Inventory.xlsm' if macros else 'JIT_Inventory.xlsx')}")
    if path.exists() and not force:
        raise WorkbookError(f"{path} already exists; use --force to replace it (your data there would be lost)")
    suffix = ".xlsm" if macros else ".xlsx"
    if path.suffix.lower() != suffix:
        raise WorkbookError(f"{path}: the workbook name must end in {suffix}"
                            + (" (with --macros)" if macros else " (use --macros for a .xlsm with buttons)"))
    try:
        runner_module_name(path)
        buttons = None
    except WorkbookError as exc:  # the buttons need an importable name; the command line does not
        if macros:
            raise
        buttons = str(exc).replace("cannot have Excel buttons", "works from the command line, but not with "
                                   "the xlwings Run main button")
    if macros:
        build_macro_workbook(path)
    else:
        data = build_template()
        atomic_replace(path, lambda fh: fh.write(data))
    made = f"{path}" if buttons else f"{path} and {write_runner_module(path).name}"
    click.echo(f"Created {made}. Fill in Settings, Stock, Sales and Suppliers, then run: jit-workbook recalc {path}")
    if buttons:
        click.echo(f"Note: {buttons}")


@cli.command()
@workbook_arguments
def recalc(path: Path, output: Path | None, quiet: bool) -> None:
    """Recalculate what to reorder; writes the Reorder, Dashboard and Data Issues sheets.

    The previous version of PATH is kept as NAME.backup.xlsx beside it.

    Example: jit-workbook recalc JIT_Inventory.xlsx
    """
    _run_action(actions.recalculate, path, output, quiet)


@cli.command()
@workbook_arguments
def review(path: Path, output: Path | None, quiet: bool) -> None:
    """Monthly review of obsolete and slow stock; also refreshes Reorder and the Dashboard.

    Writes Obsolete Review (your Decision and Notes are kept), this month's block of the
    Review Log (earlier months are never changed) and the Dashboard.

    Example: jit-workbook review JIT_Inventory.xlsx
    """
    _run_action(actions.monthly_review, path, output, quiet)


def _run_action(action, path: Path, output: Path | None, quiet: bool) -> None:
    book = FileBook(path, output)
    book.check()
    with book.locked(), _progress(path, quiet) as step:
        result = action(book, progress=step)
    if not quiet:
        click.echo(result.summary)
        where = output or path
        click.echo(f"Saved {where}" + (f" (previous version: {backup_path(path).name})" if not output else ""))


@cli.command()
@workbook_arguments
def backtest(path: Path, output: Path | None, quiet: bool) -> None:
    """Replay the policy over the last Backtest Days of sales; writes the Backtest sheet.

    Every review period it plans from the sales known then, orders, receives after the
    lead time and serves the real sales, beside a just-in-case policy (order up to 90
    days of demand when under 30): service level, fill rate, stock value, orders.

    Example: jit-workbook backtest JIT_Inventory.xlsx
    """
    _run_action(actions.run_backtest, path, output, quiet)


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--send", is_flag=True, help="Email each order to its supplier (SMTP settings; password in "
                                           "the JIT_SMTP_PASSWORD environment variable).")
@click.option("--force", is_flag=True, help="With --send: also send orders below the supplier's Min Order Value.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def orders(path: Path, send: bool, force: bool, quiet: bool) -> None:
    """Draft one purchase order per supplier from the Reorder sheet's Order Qty.

    Writes an order sheet (.xlsx), a PDF and an email draft (.eml) per supplier into
    the Order Folder (default: orders/ beside the workbook, one subfolder per day), and
    lists them on the Orders sheet. With --send, emails them; an order already SENT is
    never sent again. Exit code 3 when an order could not be sent (see its Status).

    Example: jit-workbook orders JIT_Inventory.xlsx --send
    """
    book = FileBook(path)
    book.check()
    with book.locked(), _progress(path, quiet) as step:
        result = actions.draft_orders(book, progress=step, send=send, force=force)
    if not quiet:
        click.echo(result.summary)
    if result.failed:
        raise click.exceptions.Exit(3)


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--sku", "skus", multiple=True, metavar="SKU",
              help="Print the card of this SKU (repeat for several); default: every item the plan reorders.")
@click.option("--paper", type=click.Choice(["A4", "Letter"], case_sensitive=False), default="A4",
              show_default=True, help="Paper size; 8 cards per page.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def cards(path: Path, skus: tuple[str, ...], paper: str, quiet: bool) -> None:
    """Print kanban cards for the two-bin routine: one PDF in cards/ beside PATH.

    One card per item the plan reorders (Active, with demand, Reorder Point above 0),
    or per --sku: SKU, description, supplier, the bin quantity (Reorder Point rounded up
    to whole cases), the order to expect, the lead time, a Code 128 barcode of the SKU
    and the item's EAN-13/UPC-A Barcode when it has one. The workbook is not changed.

    Example: jit-workbook cards JIT_Inventory.xlsx --sku PAINT-01 --paper Letter
    """
    from .io.read_file import check_readable

    check_readable(path)
    paper = "Letter" if paper.lower() == "letter" else "A4"
    with _progress(path, quiet) as step:
        result = actions.print_cards(FileBook(path), progress=step, skus=list(skus) or None, paper=paper)
    if not quiet:
        click.echo(result.summary)


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
def upgrade(path: Path) -> None:
    """Add the output sheets (and the empty Count sheet) PATH lacks (older template, or deleted).

    Each missing sheet comes from the current template, with its table, formats and
    charts; nothing else in the file changes. The previous version is kept as
    NAME.backup.xlsx.

    Example: jit-workbook upgrade JIT_Inventory.xlsx
    """
    from .io.read_file import check_readable, check_writable
    from .io.xlsx_patch import atomic_replace
    from .io.xlsx_upgrade import add_missing_sheets

    check_readable(path)
    check_writable(path)
    with FileBook(path).locked():
        source = path.read_bytes()
        lines = add_missing_sheets(path, path)
        if any(line.startswith("added") for line in lines):
            atomic_replace(backup_path(path), lambda fh: fh.write(source))
    for line in lines:
        click.echo(line)
    if not any(line.startswith("added") for line in lines):
        click.echo("Nothing to add: every output sheet is there.")
    if any(line.endswith("not added") for line in lines):
        raise WorkbookError("some sheets could not be added (see above); rename the sheet in the way and run again")


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--shop", default="demo", show_default=True,
              type=click.Choice(["tiny", "demo", "bench", "excel-limit"]), help="Which reference shop to build.")
@click.option("--force", is_flag=True, help="Replace FOLDER/JIT_Inventory.xlsx (and its backup) if it exists.")
def demo(folder: Path, shop: str, force: bool) -> None:
    """Build a realistic demo shop in FOLDER, recalculate it and run its monthly review.

    The demo shop has a few hundred SKUs from several suppliers and a year and a half of
    daily sales (fast, slow, intermittent, seasonal, new and dead items, returns,
    consignment and Do Not Reorder items), plus five past monthly reviews.

    Example: jit-workbook demo demo/
    """
    from .demo import seed_review_history, write_shop

    path = folder / "JIT_Inventory.xlsx"
    if path.exists() and not force:  # it may be a demo the owner has been trying things in
        raise WorkbookError(f"{path} already exists; use --force to replace it and its backup "
                            "(what you changed there would be lost)")
    folder.mkdir(parents=True, exist_ok=True)
    path = write_shop(shop, path)
    seed_review_history(path)
    book = FileBook(path)
    with _progress(path, False) as step:
        click.echo(actions.recalculate(book, progress=step).summary)
        click.echo(actions.monthly_review(book, progress=step).summary)
    click.echo(f"Open {path}: Reorder says what to order, Obsolete Review what to clear, Dashboard the overview.")


@contextmanager
def _progress(path: Path, quiet: bool):
    """A progress bar for big workbooks (on a terminal); silent otherwise."""
    from tqdm import tqdm

    big = path.exists() and path.stat().st_size > PROGRESS_BYTES
    steps = 4
    with tqdm(total=steps, disable=quiet or not big or None, leave=False, file=sys.stderr,
              bar_format="{desc:<55}{bar:20}| {elapsed}") as bar:
        def step(message: str) -> None:
            bar.set_description_str(message)
            bar.update(1)

        yield step
        bar.update(steps - bar.n)


def _reuse_freed_memory() -> None:
    """Ask glibc's malloc to keep freed memory for the next allocation instead of handing
    it back to the system at once.

    A recalculation makes and drops many large arrays (SKUs × days); by default glibc
    maps each one freshly from the system and unmaps it when freed, so the next array of
    that size page-faults all over again. Keeping them costs some peak memory and saves
    about 0.1 s on a 500,000-line shop (``scripts/bench.py``). Elsewhere (macOS, Windows,
    musl) nothing happens.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD: arrays under 1 GB come from the heap
        libc.mallopt(-1, 2 ** 31 - 1)  # M_TRIM_THRESHOLD: keep up to 2 GB of freed heap for reuse
    except (OSError, AttributeError):  # not glibc
        pass


def main() -> None:
    """The ``jit-workbook`` console script.

    When the command has finished (its files written and closed), the process ends
    without tearing the interpreter down: freeing every module, array and DataFrame one
    by one takes a quarter of a second after a big recalculation, for nothing. Exit
    handlers (atexit) still run and the output is flushed; the exit code is click's.
    """
    _reuse_freed_memory()
    try:
        cli(prog_name="jit-workbook")
        code = 0
    except SystemExit as exc:
        code = exc.code
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)  # what SystemExit("message") prints on its way out
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away, or a closed stream: nothing to add
            pass
    os._exit(code or 0)


if __name__ == "__main__":
    main()
