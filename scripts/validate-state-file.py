#!/usr/bin/python3
"""Validates gws-agentd state files against docs/state-file.schema.json.

Usage: scripts/validate-state-file.py FILE...   (exit 0 when all are valid)
Besides the schema, checks the rules JSON Schema cannot express: `connected` matches
`state`, and `agent.state` and `agent.dnd` agree with the devices and channels.
Needs python3-jsonschema (Debian).
"""
import json
import pathlib
import sys

import jsonschema

SCHEMA = pathlib.Path(__file__).resolve().parent.parent / "docs" / "state-file.schema.json"


def summary_problems(document):
    problems = []
    connection, agent = document["connection"], document["agent"]
    if connection["connected"] != (connection["state"] == "connected"):
        problems.append("connection.connected disagrees with connection.state")
    parts = agent["devices"] + agent["channels"]
    states = {p["state"] for p in parts if p["state"] is not None}
    expected = "Unknown" if not states else states.pop() if len(states) == 1 else "Mixed"
    if agent["state"] != expected:
        problems.append(f"agent.state is {agent['state']!r}, the parts say {expected!r}")
    dnds = [p["dnd"] for p in parts if p["dnd"] is not None]
    expected_dnd = None if not dnds else any(dnds)
    if agent["dnd"] != expected_dnd:
        problems.append(f"agent.dnd is {agent['dnd']!r}, the parts say {expected_dnd!r}")
    calls = agent.get("calls") or []
    if calls and agent.get("on_call") is not True:
        problems.append(f"agent.on_call is {agent.get('on_call')!r} with {len(calls)} live call(s)")
    if any(call["state"] == "Released" for call in calls):
        problems.append("agent.calls holds a released call")
    return problems


def main(paths):
    validator = jsonschema.Draft202012Validator(
        json.loads(SCHEMA.read_text()), format_checker=jsonschema.FormatChecker())
    failed = 0
    for path in paths:
        try:
            document = json.loads(pathlib.Path(path).read_text())
        except (OSError, ValueError) as error:
            print(f"{path}: cannot be read as JSON: {error}")
            failed += 1
            continue
        problems = [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
                    for e in validator.iter_errors(document)]
        if not problems:
            problems = summary_problems(document)
        for problem in problems:
            print(f"{path}: {problem}")
        failed += bool(problems)
    print(f"{len(paths) - failed} of {len(paths)} state file(s) valid")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
