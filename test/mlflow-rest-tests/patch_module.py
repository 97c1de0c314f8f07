"""Remove the module's own server fixtures from test_rest_tracking.py so the root conftest's
Runlog fixtures are used (a module fixture would shadow a conftest one). Idempotent."""
import ast
import sys

path = sys.argv[1]
src = open(path).read()
if "# [runlog] removed fixture" in src:
    sys.exit(0)
tree = ast.parse(src)
lines = src.splitlines(keepends=True)
drop = {"store_type", "mlflow_client", "mlflow_client_with_secrets"}
ranges = []
for node in tree.body:
    if isinstance(node, ast.FunctionDef) and node.name in drop:
        start = min([d.lineno for d in node.decorator_list] + [node.lineno]) - 1
        ranges.append((start, node.end_lineno, node.name))
for start, end, name in sorted(ranges, reverse=True):
    lines[start:end] = [f"# [runlog] removed fixture {name!r}: provided by the root conftest\n"]
open(path, "w").write("".join(lines))
print(f"patched {path}: removed {sorted(r[2] for r in ranges)}")
