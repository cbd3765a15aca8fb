"""The project's standing promises, checked on the source itself."""
import ast
import re
from pathlib import Path

import kubernetes
import pytest

from icepack_verify.cluster import KINDS, list_path

ROOT = Path(__file__).resolve().parent.parent


def imports(path: Path) -> set[str]:
    """Every module a file imports, dotted ('icepack_verify.plugin', 'icepack_twin.objects')."""
    tree = ast.parse(path.read_text(), str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def py_files(*dirs: str) -> list[Path]:
    return [p for d in dirs for p in sorted((ROOT / d).rglob("*.py"))]


def tops(path: Path) -> set[str]:
    return {n.split(".")[0] for n in imports(path)}


@pytest.mark.parametrize("path", py_files("src/icepack_verify", "tests"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_suite_never_imports_the_twin(path):
    assert "icepack_twin" not in tops(path)


@pytest.mark.parametrize("path", py_files("src/icepack_twin"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_twin_never_imports_the_suite(path):
    assert "icepack_verify" not in tops(path)


@pytest.mark.parametrize("path", py_files("tests"), ids=lambda p: str(p.relative_to(ROOT)))
def test_tests_use_only_the_public_surface_and_one_failure_builder(path):
    private = {n for n in imports(path) if n.startswith("icepack_verify.")}
    assert not private, f"import these from icepack_verify instead: {private}"
    hand_made = [line.strip() for line in path.read_text().splitlines() if re.search(r"\[\{[\w.]*name\}\]", line)]
    assert not hand_made, f"messages are formatted by Diagnosis (the diagnose fixture): {hand_made}"


def test_the_public_surface_resolves():
    import icepack_verify

    missing = [name for name in icepack_verify.__all__ if not hasattr(icepack_verify, name)]
    assert not missing


# Twin layers, bottom up: a module imports only twin modules of lower layers.
# The mutation engine spans the stack: its model sits at the bottom, each layer's edits beside the
# part of the twin they edit (the app serves body edits, the store writes row edits), the runner
# at the top beside the command line (it drives twins through process).
TWIN_LAYERS = [{"objects", "behaviour", "values", "kmock_adapter", "faults", "mutate", "mutate.model"},
               {"chart", "endpoints", "store", "app", "cluster", "mutate.body", "mutate.framing", "mutate.rows", "mutate.database",
                "mutate.kube", "mutate.kube_schema"},
               {"drifts", "mutate.layers"}, {"server", "render"}, {"process"},
               {"__main__", "mutate.engine", "mutate.ledger", "mutate.suite_server"}]


def _layer(module: str) -> int:
    parts = module.split(".")[1:] if module.startswith("icepack_twin.") else module.split(".")
    for name in (".".join(parts[:2]), parts[0]):  # a module of the mutation engine has a layer of its own
        found = next((i for i, layer in enumerate(TWIN_LAYERS) if name in layer), None)
        if found is not None:
            return found
    raise KeyError(f"{module}: in no layer of TWIN_LAYERS")


@pytest.mark.parametrize("path", py_files("src/icepack_twin"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_twin_never_imports_upwards(path):
    rel = path.relative_to(ROOT / "src").with_suffix("")
    module = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
    if module == "icepack_twin":
        return
    own = _layer(module)
    upward = [n for n in imports(path) if n.startswith("icepack_twin.") and _layer(n) > own]
    assert not upward, f"{module} imports a higher layer: {upward}"


@pytest.mark.parametrize("path", py_files("src", "selftest", "bench"), ids=lambda p: str(p.relative_to(ROOT)))
def test_kmock_private_api_only_behind_its_adapter(path):
    if path.name in ("kmock_adapter.py", "test_boundaries.py"):
        return
    source = path.read_text()
    assert "kmock._internal" not in source and not re.search(r"\._objects\b|\._serve_\w+|_get_resources", source)


# The deployment document's environment-specific numbers belong in environments.toml only.
ENV_LITERALS = re.compile(r"""["'](250m|500m|256Mi|512Mi|1Gi|8Gi)["']|\b(411706531007|174558682303|391322830928|857967394368)\b"""
                          r"""|["'](30 \* \* \* \*|0 \*/2 \* \* \*|\*/15 \* \* \* \*)["']""")


@pytest.mark.parametrize("path", py_files("tests"), ids=lambda p: str(p.relative_to(ROOT)))
def test_tests_hold_no_environment_numbers(path):
    hits = [f"{path.name}:{n}: {line.strip()}" for n, line in enumerate(path.read_text().splitlines(), 1)
            if ENV_LITERALS.search(line)]
    assert not hits, "\n".join(hits)


def test_the_cluster_wrapper_offers_no_write_call():
    """Read-only by construction: the Kubernetes wrapper sends one kind of request, a GET, and calls
    no typed client method that could write."""
    source = (ROOT / "src/icepack_verify/cluster.py").read_text()
    assert re.findall(r"param_serialize\(\s*\"(\w+)\"", source) == ["GET"]
    assert source.count("param_serialize(") == 1 and source.count("call_api(") == 1
    calls = set(re.findall(r"\.((?:create|patch|replace|delete|list|read|connect)_[a-z_]+)\(", source))
    assert calls <= {"list_kube_config_contexts", "read_text"}, calls  # the kubeconfig, read locally


# The official client's typed API module for each built-in group (any other group: custom objects).
TYPED = {"v1": "core_v1_api", "apps/v1": "apps_v1_api", "batch/v1": "batch_v1_api",
         "autoscaling/v2": "autoscaling_v2_api", "policy/v1": "policy_v1_api", "networking.k8s.io/v1": "networking_v1_api"}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_known_kind_is_listed_where_the_official_client_lists_it(kind):
    """The suite lists through the client's ApiClient without its typed classes (they cost ~0.65 s to
    load): each path must be the one the typed list method requests, read from the client's source."""
    k = KINDS[kind]
    ours = list_path(kind, "ns").replace("/namespaces/ns/", "/namespaces/{namespace}/")
    if k.api_version in TYPED:
        module, template = TYPED[k.api_version], ours
    else:
        group, version = k.api_version.split("/")
        module, template = "custom_objects_api", "/apis/{group}/{version}/namespaces/{namespace}/{plural}"
        assert ours == template.format(group=group, version=version, namespace="{namespace}", plural=k.plural)
    source = (Path(kubernetes.client.__file__).parent / "api" / f"{module}.py").read_text()
    assert f"resource_path='{template}'" in source, (kind, template, module)
