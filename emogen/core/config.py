"""One configuration mechanism: typed dataclasses, filled from YAML, overridden by ``key=value``.

Unknown keys, wrong types and malformed overrides are :class:`EmogenError`s naming the key and
what it accepts. Nested dataclasses nest in YAML (``train: {learning_rate: 3e-4}``) and in
overrides (``train.learning_rate=3e-4``).
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from pathlib import Path
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

import yaml

from ..errors import EmogenError

T = TypeVar("T")


def from_dict(cls: type[T], data: dict | None, where: str = "") -> T:
    """Build dataclass ``cls`` from a plain dict, checking every key and value."""
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise EmogenError(f"{where or 'config'} must be a mapping of keys to values, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise EmogenError(
            f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(repr(_join(where, k)) for k in unknown)}; "
            f"accepted: {', '.join(fields)}"
        )
    values = {name: _convert(hints[name], data[name], _join(where, name)) for name in fields if name in data}
    try:
        return cls(**values)
    except EmogenError:
        raise
    except (TypeError, ValueError) as e:
        raise EmogenError(f"invalid {where or 'config'}: {e}") from None


def to_dict(obj: Any) -> Any:
    """A dataclass (nested) as plain dicts and lists, ready for JSON or YAML."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_dict(x) for x in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    return obj


def load_config(cls: type[T], path: str | Path | None = None, overrides: list[str] = ()) -> T:
    """Read ``path`` (YAML) into ``cls`` and apply ``key.sub=value`` overrides (values parsed as YAML)."""
    data: dict = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise EmogenError(f"config file '{path}' not found")
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as e:
            raise EmogenError(f"config file '{path}' is not valid YAML: {str(e).splitlines()[0]}") from None
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise EmogenError(f"override '{item}' is not key=value (e.g. train.learning_rate=3e-4)")
        try:
            value = yaml.safe_load(raw) if raw else ""
        except yaml.YAMLError:
            value = raw
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise EmogenError(f"override '{item}': '{part}' is not a section")
        node[parts[-1]] = value
    return from_dict(cls, data)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _convert(tp: Any, value: Any, where: str) -> Any:
    origin = get_origin(tp)
    if tp is Any:
        return value
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, where)
    if origin in (Union, types.UnionType):
        options = get_args(tp)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(option, value, where)
            except EmogenError as e:
                errors.append(str(e))
        raise EmogenError(errors[0] if len(errors) == 1 else f"{where}: {value!r} fits none of {tp}")
    if origin is Literal:
        choices = get_args(tp)
        if isinstance(value, bool) and ("no" if not value else "yes") in choices:  # YAML 1.1 reads 'no' as false
            value = "yes" if value else "no"
        if value not in choices:
            raise EmogenError(f"{where} must be one of {', '.join(map(repr, choices))}, got {value!r}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise EmogenError(f"{where} must be a list, got {value!r}")
        (item_type, *_) = get_args(tp) or (Any,)
        items = [_convert(item_type, v, f"{where}[{i}]") for i, v in enumerate(value)]
        return items if origin is list else tuple(items)
    if origin is dict:
        if not isinstance(value, dict):
            raise EmogenError(f"{where} must be a mapping, got {value!r}")
        return dict(value)
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise EmogenError(f"{where} must be true or false, got {value!r}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise EmogenError(f"{where} must be an integer, got {value!r}")
    if tp is float:
        number = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str):  # YAML 1.1 reads '3e-4' as a string
            try:
                number = float(value)
            except ValueError:
                pass
        if number is None or not math.isfinite(number):  # no setting means anything with NaN or infinity
            raise EmogenError(f"{where} must be a finite number, got {value!r}")
        return number
    if tp is str:
        if isinstance(value, str):
            return value
        raise EmogenError(f"{where} must be a string, got {value!r}")
    return value
