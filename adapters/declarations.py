"""What an adapter module declares about its framework, as data (``FRAMEWORKS``): the rest of
tconv (the registry in ``adapters/__init__.py``, the engine, the reports, the upgrade
comparison) derives its tables from these and names no framework itself."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Backend:
    """One kind of worker process: the module whose presence says it is installed, the
    environment it starts with, its framework's persistent compilation caches (values may
    hold ``{cache}``, the cache folder), the packages (``Framework.package``) whose
    version changes what it computes (the upgrade comparison runs it for each) and, for a
    framework that cannot share the main environment's pins, ``requirements``: the name of its
    own requirements file in ``adapters/environments/`` (its workers then run from an
    environment built from it: ``adapters.environments``). ``quick_families``: for a backend
    whose every check costs seconds (a model conversion each), the case families the quick
    profile (``make test``) runs on it; empty: all of them. The other profiles run every
    case."""

    name: str
    module: str
    environment: dict[str, str] = field(default_factory=dict)
    caches: dict[str, str] = field(default_factory=dict)
    packages: tuple[str, ...] = ()
    requirements: str = ""
    quick_families: tuple[str, ...] = ()


@dataclass(frozen=True)
class Nominal:
    """A configuration as the framework's users spell it, for the porting table: ``padding``
    in the case-file syntax (``"SAME"``, ``"VALID"`` or one ``(begin, end)`` pair, used on both
    axes of a 2-D ``n x n`` input), run by ``entry_point``; ``canonical`` is its window by the
    framework's rule module."""

    key: str
    spelling: str
    entry_point: str
    padding: str | tuple[int, int]
    canonical: tuple[int, int, int]
    n: int = 4
    k: int = 3
    s: int = 2
    output_padding: int = 0


@dataclass(frozen=True)
class Porting:
    """How a framework takes part in the porting table: its column's label, the entry point
    that stands for it, and its own representative configurations."""

    label: str
    entry_point: str
    nominals: tuple[Nominal, ...] = ()


@dataclass(frozen=True)
class Framework:
    """Everything the rest of tconv needs to know about one framework, declared as data by its
    adapter module (``FRAMEWORKS``) and registered by one line in ``adapters/__init__.py``.

    ``package``: the name ``tconv upgrade`` takes; ``distributions``: what is installed at
    one version together (the first one's version is the framework's); ``entry_points``:
    each adapter class with the backend it runs in; ``native_keys``: the native parameters
    that spell the padding (the conventions document quotes them)."""

    name: str
    package: str
    distributions: tuple[str, ...]
    backends: tuple[Backend, ...]
    entry_points: tuple[tuple[type, str], ...]
    native_keys: tuple[str, ...] = ()
    porting: Porting | None = None
    testing: bool = False        # test-only: runs only when named in --adapters
