"""Every advisory lock of the application has its own key. Two jobs sharing a
namespace would take each other's locks whenever their ids meet: a model fit
holding (namespace, 5) made import 5 look taken by a live worker, so it waited
for the sweeper, and a running import 5 kept fit 5 from starting."""

import importlib
import pkgutil

import channelhub
import channels_app
import kpis
import partners


def _lock_constants() -> dict[str, int]:
    found: dict[str, int] = {}
    for package in (channelhub, channels_app, kpis, partners):
        for module_info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            name = module_info.name
            if ".tests" in name or ".migrations" in name or name.endswith(".wsgi"):
                continue
            module = importlib.import_module(name)
            for attr, value in vars(module).items():
                if attr.endswith("_LOCK") and isinstance(value, int):
                    found[f"{name}.{attr}"] = value
    return found


def test_every_advisory_lock_key_is_its_own():
    constants = _lock_constants()
    # A constant imported from another module appears twice, as the same value
    # under the same name: keep one per (name, value).
    by_value: dict[int, set[str]] = {}
    for origin, value in constants.items():
        by_value.setdefault(value, set()).add(origin.rsplit(".", 1)[1])
    shared = {value: names for value, names in by_value.items() if len(names) > 1}
    assert not shared, f"advisory lock keys used by more than one lock: {shared}"
    assert {"MODEL_LOCK", "IMPORT_RUN_LOCK", "RUN_LOCK", "PUBLISH_LOCK"} <= {
        origin.rsplit(".", 1)[1] for origin in constants
    }
