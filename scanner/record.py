"""`record`: the part of `dataclasses` this project uses, at a fraction of the start-up cost.

`import dataclasses` pulls in `inspect`, and every `@dataclass` execs generated functions: for the
records the pre-commit hook defines, a third of its start-up (docs/benchmarks.md, "Measurements behind
the code"). `record` generates the same `__init__` with one `exec` per class (on
the class's first instance: most classes a hook run defines are never built) and shares generic
`__repr__`, `__eq__` and `__hash__` (a class's own `__hash__` is kept); `dataclass_transform` tells type checkers what
it does. Supported: defaults, `field(default_factory=..., init=..., repr=...)`, `__post_init__`,
`frozen`, `slots`, records extending records, pickling and `replace`; nothing else (no ordering).
"""

from __future__ import annotations

# `typing` is for the type checker only: a clean pre-commit run (scanner/app/quickstaged.py) imports
# this module and nothing else that needs `typing` (which brings `re` and `enum`: a third of a bare
# interpreter's start-up).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar, dataclass_transform, overload

    T = TypeVar("T")
else:

    def dataclass_transform(**_: object) -> object:
        """typing.dataclass_transform at run time, less its introspection attribute (nothing reads it)."""
        return lambda f: f


class FrozenInstanceError(AttributeError):
    """Assignment to a field of a frozen record."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Field:
    __slots__ = ("default", "default_factory", "init", "repr")

    def __init__(self, default: Any, default_factory: Any, init: bool, repr: bool) -> None:
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr


def field(
    *, default: Any = MISSING, default_factory: Callable[[], Any] | Any = MISSING, init: bool = True, repr: bool = True
) -> Any:
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return Field(default, default_factory, init, repr)


if TYPE_CHECKING:

    @overload
    def record(cls: type[T], /) -> type[T]: ...
    @overload
    def record(*, frozen: bool = False, slots: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(field_specifiers=(field, Field))
def record(cls: Any = None, /, *, frozen: bool = False, slots: bool = False) -> Any:
    """Turn the annotated class attributes of `cls` into fields, in order, like `@dataclass`."""

    def wrap(cls: Any) -> Any:
        return _build(cls, frozen, slots)

    return wrap if cls is None else wrap(cls)


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of `obj` with some fields changed, through `__init__` (so `__post_init__` runs again)."""
    fields: dict[str, Field] = type(obj).__record_fields__  # type: ignore[attr-defined]
    for name in changes:
        if name not in fields or not fields[name].init:
            raise TypeError(f"{type(obj).__name__}.{name} cannot be replaced")
    args = {name: getattr(obj, name) for name, f in fields.items() if f.init and name not in changes}
    return type(obj)(**args, **changes)


def _build(cls: Any, frozen: bool, slots: bool) -> Any:
    fields: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):  # a record's own fields follow those of the records it extends
        fields.update(base.__dict__.get("__record_fields__", {}))
    inherited = set(fields)
    # Not inspect.get_annotations: importing inspect is the cost this module avoids.
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():  # noqa: RUF063
        if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
            continue
        value = cls.__dict__.get(name, MISSING)
        fields[name] = value if isinstance(value, Field) else Field(value, MISSING, True, True)
    if slots:
        namespace = {k: v for k, v in cls.__dict__.items() if k not in fields and k not in ("__dict__", "__weakref__")}
        namespace["__slots__"] = tuple(name for name in fields if name not in inherited)
        cls = type(cls)(cls.__name__, cls.__bases__, namespace)
        # Slotted records pickle (to and from worker processes) by field values, around a frozen __setattr__.
        cls.__getstate__ = _values
        cls.__setstate__ = _setstate
    else:
        for name, f in fields.items():
            # Class attributes holding defaults would shadow nothing, but a Field object must not linger.
            if isinstance(cls.__dict__.get(name), Field):
                if f.default is MISSING:
                    delattr(cls, name)
                else:
                    setattr(cls, name, f.default)
    cls.__record_fields__ = fields
    cls.__init__ = _make_init(cls, fields, frozen)
    cls.__repr__ = _repr
    cls.__eq__ = _eq
    if frozen:
        cls.__setattr__ = _frozen_setattr
        cls.__delattr__ = _frozen_delattr
        if cls.__dict__.get("__hash__") is None:  # a record may hash by fewer fields than it compares
            cls.__hash__ = _hash
    else:
        cls.__hash__ = None
    return cls


def _make_init(cls: Any, fields: dict[str, Field], frozen: bool) -> Callable[..., None]:
    params: list[str] = []
    body: list[str] = []
    env: dict[str, Any] = {"MISSING": MISSING, "__object_setattr": object.__setattr__}
    seen_default = False
    for name, f in fields.items():
        if f.default_factory is not MISSING:
            env[f"__factory_{name}"] = f.default_factory
            if f.init:
                params.append(f"{name}=MISSING")
                value = f"__factory_{name}() if {name} is MISSING else {name}"
            else:
                value = f"__factory_{name}()"
            seen_default = True
        elif f.default is not MISSING:
            env[f"__default_{name}"] = f.default
            if f.init:
                params.append(f"{name}=__default_{name}")
                value = name
            else:
                value = f"__default_{name}"
            seen_default = True
        else:
            if not f.init:
                continue
            if seen_default:
                raise TypeError(f"{cls.__name__}: non-default field {name!r} follows a default one")
            params.append(name)
            value = name
        if frozen:
            body.append(f"    __object_setattr(self, {name!r}, {value})")
        else:
            body.append(f"    self.{name} = {value}")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    source = f"def __init__(self, {', '.join(params)}):\n" + ("\n".join(body) or "    pass") + "\n"
    qualname = f"{cls.__qualname__}.__init__"

    # The source is checked above, when the class is defined; compiling it waits for the first instance.
    # A hook run defines about 30 records and builds a third of them: compiling every `__init__` up
    # front was 15% of its CPU time before the scan.
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        namespace: dict[str, Any] = {}
        exec(source, env, namespace)
        init: Callable[..., None] = namespace["__init__"]
        init.__qualname__ = qualname
        cls.__init__ = init
        init(self, *args, **kwargs)

    __init__.__qualname__ = qualname
    return __init__


def _values(obj: Any) -> tuple[Any, ...]:
    return tuple(getattr(obj, name) for name in type(obj).__record_fields__)


def _repr(self: Any) -> str:
    fields: dict[str, Field] = type(self).__record_fields__
    inner = ", ".join(f"{name}={getattr(self, name)!r}" for name, f in fields.items() if f.repr)
    return f"{type(self).__qualname__}({inner})"


def _setstate(self: Any, state: tuple[Any, ...]) -> None:
    for name, value in zip(type(self).__record_fields__, state, strict=True):
        object.__setattr__(self, name, value)


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _values(self) == _values(other)


def _hash(self: Any) -> int:
    return hash(_values(self))


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")
