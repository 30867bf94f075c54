#!/usr/bin/env python3
"""Checks that the modules import what docs/architecture.md allows, and that Package.swift
says the same thing.

The allowed graph is the table between the `module-graph` markers in docs/architecture.md:
one row per module of Sources/, with every module it may import (first-party modules,
package products, and system modules such as Foundation or Glibc). The check fails when:

  - a module imports something its row does not list (for example the protocol core
    importing libcurl, Foundation or Glibc);
  - a target of Package.swift depends on something its row does not list, or imports a
    first-party module or package product it does not depend on (tests, benchmarks and the
    fuzz harness included: they have no row, only this rule);
  - a module of Sources/ has no row, or a row names no module;
  - a Swift library module of Sources/ has no test target of its own (NAMETests).

Run by `make lint`. Reads Package.swift through `swift package dump-package`.
"""

import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "architecture.md")
# Modules every Swift file may import without a declaration: the standard library's.
STANDARD = {"Swift", "_Concurrency", "Synchronization", "_StringProcessing"}
# System modules: no Package.swift declaration, but only where the graph allows them.
SYSTEM = {"Foundation", "FoundationEssentials", "FoundationNetworking", "Glibc", "Dispatch", "Testing", "XCTest"}
IMPORT = re.compile(
    r"^\s*(?:@testable\s+|@_implementationOnly\s+)?import\s+(?:(?:struct|enum|class|func|protocol)\s+)?"
    r"([A-Za-z_][A-Za-z0-9_]*)\s*$", re.M)
# Darwin stands in for Glibc on Apple platforms (`#if canImport(Glibc) … #else import Darwin`).
PLATFORM_TWINS = {"Darwin": "Glibc"}


def allowed_graph():
    text = open(DOC, encoding="utf-8").read()
    match = re.search(r"<!-- module-graph:begin -->(.*?)<!-- module-graph:end -->", text, re.S)
    if not match:
        sys.exit("check-module-graph: no module-graph table in docs/architecture.md")
    graph = {}
    for line in match.group(1).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        allowed = set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", cells[2]))
        for module in re.findall(r"`([A-Za-z_][A-Za-z0-9_-]*)`", cells[0]):
            graph[module] = allowed
    return graph


def package():
    out = subprocess.run(
        ["swift", "package", "dump-package"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def declared(target):
    names = set()
    for dependency in target["dependencies"]:
        for kind in ("byName", "target", "product"):
            if kind in dependency:
                names.add(dependency[kind][0])
    return names


def imports(directory):
    found = {}
    for base, _, files in os.walk(directory):
        for name in files:
            if not name.endswith(".swift"):
                continue
            path = os.path.join(base, name)
            source = re.sub(r"//[^\n]*", "", open(path, encoding="utf-8").read())
            for module in IMPORT.findall(source):
                found.setdefault(module, []).append(os.path.relpath(path, ROOT))
    return found


def main():
    graph = allowed_graph()
    manifest = package()
    targets = {t["name"]: t for t in manifest["targets"]}
    first_party = set(targets)
    problems = []
    for name in graph:
        if name not in targets:
            problems.append(f"docs/architecture.md: row {name} names no target of Package.swift")
    for name, target in sorted(targets.items()):
        if target["type"] == "system" or target["type"] == "plugin":
            continue
        path = target.get("path") or os.path.join("Tests" if target["type"] == "test" else "Sources", name)
        directory = os.path.join(ROOT, path)
        if not os.path.isdir(directory):
            continue
        has_swift = any(f.endswith(".swift") for _, _, files in os.walk(directory) for f in files)
        if not has_swift:
            continue
        depends = declared(target)
        used = imports(directory)
        in_sources = path.startswith("Sources/") or path == os.path.join("Sources", name)
        if in_sources and name not in graph:
            problems.append(f"{path}: module {name} has no row in docs/architecture.md's module graph")
        row = graph.get(name)
        for module, files in sorted(used.items()):
            if module in STANDARD or module == name:
                continue
            module = PLATFORM_TWINS.get(module, module)
            if row is not None and module not in row:
                problems.append(f"{files[0]}: {name} imports {module}, which the module graph does not allow")
            if module not in SYSTEM and module not in depends:
                problems.append(f"{files[0]}: {name} imports {module} but Package.swift does not declare it")
        if row is not None:
            for dependency in sorted(depends - row):
                problems.append(f"Package.swift: {name} depends on {dependency}, which the module graph does not allow")
        # Every Swift library module of Sources/ has a test target of its own, NAMETests.
        if in_sources and target["type"] == "regular" and f"{name}Tests" not in targets:
            problems.append(f"{path}: module {name} has no test target {name}Tests")
    for problem in problems:
        print(problem)
    if problems:
        print(f"check-module-graph: {len(problems)} problem(s)")
        return 1
    print(f"check-module-graph: {len(graph)} modules follow docs/architecture.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
