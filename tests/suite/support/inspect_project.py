"""What the upgrade tests ask Python about a project, answered without Django and without
writing bytecode into the tree:

  settings ROOT MODULE   the settings module's UPPERCASE names, as JSON {name: repr(value)},
                         with ROOT's absolute path shown as <root> (so that projects in
                         different directories compare)
  assignments FILE       the names assigned at the top level of FILE, in order, as a JSON list
  compile ROOT           compiles every .py file below ROOT in memory; exit 1 naming the
                         files that do not compile
  changes BASE TARGET    the top-level assignments that differ between two renders of a
                         template file, as a JSON list of [key, kind]: key `=NAME` (`+=NAME`
                         for an augmented one), the n-th repeat of a key with `#n` appended;
                         kind "added", "removed" or "changed" (the value's AST differs).
                         SECRET_KEY is left out: django-admin draws a new one for each render
"""

import ast
import importlib
import json
import os
import sys


def settings(root, module):
    root = os.path.realpath(root)
    sys.path.insert(0, root)
    values = vars(importlib.import_module(module))
    out = {}
    for name, value in values.items():
        if name.isupper():
            out[name] = repr(value).replace(root, "<root>")
    print(json.dumps(out, sort_keys=True))


def assignments(path):
    with open(path, "rb") as f:
        tree = ast.parse(f.read(), path)
    names = []
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Name):
                names.append(target.id)
    print(json.dumps(names))


def keyed_assignments(path):
    """{key: the AST of what is assigned} for the top-level assignments of a file, keyed as
    scaffold keys statements (one key per statement, from its first target)."""
    with open(path, "rb") as f:
        tree = ast.parse(f.read(), path)
    out = {}
    seen = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            target, op, value = node.targets[0], "=", node.value
        elif isinstance(node, ast.AnnAssign):
            target, op, value = node.target, "=", node.value
        elif isinstance(node, ast.AugAssign):
            target, op, value = node.target, "+=", node.value
        else:
            continue
        if not isinstance(target, ast.Name) or target.id == "SECRET_KEY":
            continue
        key = op + target.id
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            key = f"{key}#{seen[key]}"
        out[key] = ast.dump(value) if value is not None else None
    return out


def changes(base, target):
    b, t = keyed_assignments(base), keyed_assignments(target)
    out = []
    for key in sorted(set(b) | set(t)):
        if key not in t:
            out.append([key, "removed"])
        elif key not in b:
            out.append([key, "added"])
        elif b[key] != t[key]:
            out.append([key, "changed"])
    print(json.dumps(out))


def compile_all(root):
    failed = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                source = f.read()
            try:
                compile(source, path, "exec", dont_inherit=True)
            except SyntaxError as e:
                failed.append(f"{os.path.relpath(path, root)}:{e.lineno}: {e.msg}")
    if failed:
        print("\n".join(failed), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    sys.dont_write_bytecode = True
    command, *args = sys.argv[1:]
    {
        "settings": settings,
        "assignments": assignments,
        "compile": compile_all,
        "changes": changes,
    }[command](*args)
