"""Every import in the package, module level and inside functions, against the layer order that
docs/architecture.md writes down; and that page against the tree (every folder and module named,
no stale names)."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "geobfdt"
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def layers() -> list[list[str]]:
    """The layer order of docs/architecture.md, lowest first: units are `io/` (a folder) or `cli.py`."""
    block = re.search(r"```\n(geobfdt:[^`]*)```", DOC)
    assert block, "docs/architecture.md has no layer block (a fenced block starting `geobfdt:`)"
    out = []
    for line in block.group(1).strip().splitlines():
        out.append(line.removeprefix("geobfdt:").split())
    return out


def exceptions() -> dict[tuple[str, str], str]:
    """(importing module, imported unit) -> reason, from the doc's list under the layers."""
    found = re.findall(r"^- `([\w/]+\.py)` -> `([\w/.]+)`: (.+)$", DOC, re.M)
    return {(module, unit): reason for module, unit, reason in found}


def unit_of(module: str) -> str:
    """geobfdt.io.picks -> io/, geobfdt.cli -> cli.py, geobfdt -> __init__.py."""
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__.py"
    return f"{parts[1]}/" if (PACKAGE / parts[1]).is_dir() else f"{parts[1]}.py"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path):
    """(line, imported module, inside a function) for every geobfdt import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    in_function = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                   for n in ast.walk(f)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            names = [".".join(base + ([node.module] if node.module else []))]
        else:
            continue
        for name in names:
            if name.split(".")[0] == "geobfdt":
                yield node.lineno, name, id(node) in in_function


def sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def tree_units() -> set[str]:
    return {f"{p.name}/" for p in PACKAGE.iterdir() if p.is_dir() and any(p.glob("*.py"))} | \
           {p.name for p in PACKAGE.glob("*.py")}


def test_the_layer_list_names_every_folder_and_module_of_the_package_once():
    listed = [unit for layer in layers() for unit in layer]
    assert len(listed) == len(set(listed)), "a unit listed twice"
    assert set(listed) == tree_units(), (f"missing from docs/architecture.md: {sorted(tree_units() - set(listed))}; "
                                         f"stale there: {sorted(set(listed) - tree_units())}")


def test_every_import_follows_the_layer_order():
    rank = {unit: k for k, layer in enumerate(layers()) for unit in layer}
    allowed = exceptions()
    used, wrong, count, inside = set(), [], 0, 0
    for path in sources():
        importer = unit_of(module_name(path))
        where = str(path.relative_to(PACKAGE))
        for line, name, in_function in imports(path):
            count, inside = count + 1, inside + in_function
            target = unit_of(name)
            if rank[target] <= rank[importer]:
                continue
            if (where, target) in allowed:
                used.add((where, target))
            else:
                wrong.append(f"{where}:{line} imports {name} ({target} comes after {importer})")
    assert not wrong, "imports against the layer order of docs/architecture.md:\n" + "\n".join(wrong)
    assert inside > 100 and count > inside, "the walk must see the imports inside functions too"
    assert used == set(allowed), f"exceptions no import needs any more: {sorted(set(allowed) - used)}"


def test_every_exception_gives_its_reason():
    assert exceptions(), "the doc's exception list was not found"
    for (module, unit), reason in exceptions().items():
        assert (PACKAGE / module).is_file(), f"{module}: no such module"
        assert len(reason.split()) >= 5, f"{module} -> {unit}: say why"


@pytest.mark.parametrize("folder", sorted(u for u in tree_units() if u.endswith("/")))
def test_each_folder_row_names_its_modules_and_only_modules_that_exist(folder):
    row = re.search(rf"^\| `{re.escape(folder)}` \| (.+) \|$", DOC, re.M)
    assert row, f"docs/architecture.md has no table row for {folder}"
    named = set(re.findall(r"(?<![\w/])`?([a-z_]+\.py)\b", row.group(1)))
    modules = {p.name for p in (PACKAGE / folder).glob("*.py")} - {"__init__.py"}
    assert modules <= named | {"__init__.py"}, f"{folder} modules not named in its row: {sorted(modules - named)}"
    stale = {n for n in named if not (PACKAGE / folder / n).is_file()}
    assert not stale, f"{folder} row names modules that do not exist there: {sorted(stale)}"


def test_no_import_circle_between_modules():
    """Module-level and function-level imports together: a circle means two modules that are one idea,
    or a helper in the wrong place (io/common.py and io/image_buffer.py were one)."""
    modules = {module_name(p): p for p in sources()}

    def targets(name):
        for _, imported, _ in imports(modules[name]):
            while imported not in modules:  # `from geobfdt.io.picks import x` -> geobfdt.io.picks
                imported = imported.rsplit(".", 1)[0]
            if imported != name and not name.startswith(imported + "."):  # a package's own __init__ is not a circle
                yield imported

    graph = {name: set(targets(name)) for name in modules}
    state: dict[str, int] = {}

    def visit(name, trail):
        state[name] = 1
        for nxt in graph[name]:
            if state.get(nxt) == 1:
                pytest.fail("import circle: " + " -> ".join(trail[trail.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
