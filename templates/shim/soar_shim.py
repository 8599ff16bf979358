"""respack's stand-in for IBM SOAR's python3 script environment.

The workflow engine (src/runtime/engine.rs) starts one python3 process per pre- or
post-processing script, feeds this program a JSON request on stdin and reads one JSON answer on
stdout. The request carries the script's text and the objects SOAR gives a script:

    {"script": "...", "incident": {...}, "artifact": {...} | null, "row": {...} | null,
     "rule": {"properties": {...}} | null, "workflow": {"properties": {...}},
     "inputs": {...} | null, "results": {...} | null}

The script runs with these globals, as in SOAR:

- ``incident``, ``artifact``, ``row``: attribute and item access to the object's fields
  (``incident.properties.qradar_id``, ``row.source``, ``row["source"]``); a field without a
  value reads as None, as SOAR's DotDict does. Assignments are recorded as changes.
- ``rule.properties.<activity field>``.
- ``workflow.properties.<result name>``: the results of earlier steps; ``workflow.addProperty``.
- ``inputs`` (pre-processing): ``inputs.<api name> = value`` or ``inputs["name"] = value``.
- ``results`` (post-processing): the function's result, bare dict (1.0) or envelope (2.x).
- ``incident.addRow(table)`` returns a row: ``r["col"] = v`` / ``r.col = v``.
- ``incident.addNote(text)``, ``incident.addTask(name, phase, instructions)`` or
  ``incident.addTask({"name": ..., "phase_id": ..., "instructions": ...})``,
  ``incident.addArtifact(type, value, description)``.
- ``helper.createRichText(text)``, ``helper.createPlainText(text)``.
- ``log.debug/info/warn/warning/error``; ``print`` output is kept as log lines.

The answer is ``{"status": "ok", ...effects}`` or, when the script raised,
``{"status": "error", "type": ..., "message": ..., "line": N}`` with N the line in the script
(not in this program). Every effect carries the script line it came from, so the engine can
name it in errors.
"""

import io
import json
import sys
import traceback

SCRIPT_FILENAME = "<script>"


def script_line():
    """The line of the user script that is running now, or None."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename == SCRIPT_FILENAME:
            return frame.f_lineno
        frame = frame.f_back
    return None


class RichText(str):
    """What helper.createRichText returns: HTML text for a rich-text field."""


class PlainText(str):
    """What helper.createPlainText returns."""


def wrap(value):
    """JSON from the request, with attribute access on every nested object."""
    if isinstance(value, dict):
        return DotDict((k, wrap(v)) for k, v in value.items())
    if isinstance(value, list):
        return [wrap(v) for v in value]
    return value


class DotDict(dict):
    """A dict whose keys also read as attributes; a missing key reads as None."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self.get(name)

    def __setattr__(self, name, value):
        self[name] = value

    def __delattr__(self, name):
        self.pop(name, None)


class Tracked(DotDict):
    """A SOAR object (incident, artifact, row) whose field assignments are recorded."""

    def __init__(self, data, changes, prefix=""):
        DotDict.__init__(self)
        for key, value in data.items():
            if isinstance(value, dict) and key == "properties":
                value = Tracked(value, changes, prefix + key + ".")
            else:
                value = wrap(value)
            dict.__setitem__(self, key, value)
        object.__setattr__(self, "_changes", changes)
        object.__setattr__(self, "_prefix", prefix)

    def __setitem__(self, key, value):
        dict.__setitem__(self, key, value)
        self._changes.append({"field": self._prefix + str(key), "value": value,
                              "line": script_line()})

    def __setattr__(self, name, value):
        self[name] = value


def text_of(value):
    """A note, task instruction or cell text as {"content", "format"}."""
    if value is None:
        return None
    if isinstance(value, RichText):
        return {"content": str(value), "format": "html"}
    return {"content": str(value), "format": "text"}


class NewRow(object):
    """A row being added to a data table by incident.addRow."""

    def __init__(self, table, line):
        object.__setattr__(self, "_table", table)
        object.__setattr__(self, "_cells", {})
        object.__setattr__(self, "_lines", {})
        object.__setattr__(self, "_line", line)

    def __setitem__(self, column, value):
        self._cells[str(column)] = value
        self._lines[str(column)] = script_line()

    def __getitem__(self, column):
        return self._cells[column]

    def __setattr__(self, column, value):
        self[column] = value

    def __getattr__(self, column):
        if column.startswith("__"):
            raise AttributeError(column)
        return self._cells.get(column)

    def effect(self):
        cells = {}
        for column, value in self._cells.items():
            if isinstance(value, RichText):
                cell = {"rich_text": str(value)}
            else:
                cell = {"value": value}
            cell["line"] = self._lines[column]
            cells[column] = cell
        return {"table": self._table, "cells": cells, "line": self._line}


class Incident(Tracked):
    """The incident: its fields, and the calls that add rows, notes, tasks and artifacts."""

    def __init__(self, data, effects):
        Tracked.__init__(self, data, effects["incident_changes"])
        object.__setattr__(self, "_effects", effects)

    def addRow(self, table):
        row = NewRow(str(table), script_line())
        self._effects["row_objects"].append(row)
        return row

    def addNote(self, text):
        note = text_of(text)
        note["line"] = script_line()
        self._effects["notes"].append(note)

    def addTask(self, name, phase=None, instructions=None):
        if isinstance(name, dict):
            spec = name
            name = spec.get("name")
            phase = spec.get("phase_id", spec.get("phase"))
            instructions = spec.get("instructions", spec.get("instr_text"))
        if name is None or str(name).strip() == "":
            raise ValueError("incident.addTask needs a task name")
        self._effects["tasks"].append({
            "name": str(name),
            "phase": None if phase is None else str(phase),
            "instructions": text_of(instructions),
            "line": script_line(),
        })

    def addArtifact(self, artifact_type, value, description=None):
        self._effects["artifacts"].append({
            "type": str(artifact_type),
            "value": str(value),
            "description": text_of(description),
            "line": script_line(),
        })


class Workflow(object):
    """workflow.properties (earlier steps' results) and workflow.addProperty."""

    def __init__(self, properties, added):
        self.properties = wrap(properties or {})
        self._added = added

    def addProperty(self, name, value):
        self.properties[name] = wrap(value)
        self._added[str(name)] = value


class Helper(object):
    def createRichText(self, text):
        return RichText("" if text is None else text)

    def createPlainText(self, text):
        return PlainText("" if text is None else text)


class Log(object):
    def __init__(self, lines):
        self._lines = lines

    def _add(self, level, message, args):
        text = str(message)
        if args:
            try:
                text = text % args
            except (TypeError, ValueError):
                text = " ".join([text] + [str(a) for a in args])
        self._lines.append("{0}: {1}".format(level, text))

    def debug(self, message, *args):
        self._add("DEBUG", message, args)

    def info(self, message, *args):
        self._add("INFO", message, args)

    def warn(self, message, *args):
        self._add("WARNING", message, args)

    warning = warn

    def error(self, message, *args):
        self._add("ERROR", message, args)


def to_json(value):
    """Effects as JSON: rich and plain text are strings, anything else JSON cannot say is text."""
    def default(obj):
        if isinstance(obj, (set, frozenset, tuple)):
            return list(obj)
        if isinstance(obj, NewRow):
            return dict(obj._cells)
        return str(obj)
    return json.dumps(value, default=default, ensure_ascii=True)


def error_line(exc):
    """The user-script line an exception came from."""
    if isinstance(exc, SyntaxError) and exc.filename == SCRIPT_FILENAME:
        return exc.lineno
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == SCRIPT_FILENAME:
            line = frame.lineno
    return line


def main():
    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    effects = {
        "incident_changes": [],
        "artifact_changes": [],
        "row_changes": [],
        "row_objects": [],
        "notes": [],
        "tasks": [],
        "artifacts": [],
    }
    log_lines = []
    added_properties = {}
    inputs = DotDict()
    for key, value in (request.get("inputs") or {}).items():
        inputs[key] = wrap(value)

    scope = {
        "__name__": "__main__",
        "incident": Incident(request.get("incident") or {}, effects),
        "artifact": None,
        "row": None,
        "rule": wrap(request.get("rule") or {"properties": {}}),
        "workflow": Workflow(request.get("workflow", {}).get("properties"), added_properties),
        "inputs": inputs,
        "results": wrap(request.get("results")),
        "helper": Helper(),
        "log": Log(log_lines),
    }
    if request.get("artifact") is not None:
        scope["artifact"] = Tracked(request["artifact"], effects["artifact_changes"])
    if request.get("row") is not None:
        scope["row"] = Tracked(request["row"], effects["row_changes"])

    captured = io.StringIO()
    real_stdout = sys.stdout
    sys.stdout = captured
    answer = None
    try:
        code = compile(request["script"], SCRIPT_FILENAME, "exec")
        exec(code, scope)
    except BaseException as exc:  # the script's own error (even exit()), with its line
        message = str(exc)
        if isinstance(exc, SyntaxError):
            message = exc.msg
        elif isinstance(exc, KeyError) and exc.args:
            message = repr(exc.args[0])
        answer = {"status": "error", "type": type(exc).__name__, "message": message,
                  "line": error_line(exc)}
    finally:
        sys.stdout = real_stdout
    for text in captured.getvalue().splitlines():
        log_lines.append("PRINT: " + text)
    if answer is None:
        answer = {
            "status": "ok",
            "inputs": dict(inputs),
            "rows": [row.effect() for row in effects["row_objects"]],
            "notes": effects["notes"],
            "tasks": effects["tasks"],
            "artifacts": effects["artifacts"],
            "incident_changes": effects["incident_changes"],
            "artifact_changes": effects["artifact_changes"],
            "row_changes": effects["row_changes"],
            "workflow_properties": added_properties,
        }
    answer["log"] = log_lines
    sys.stdout.buffer.write(to_json(answer).encode("ascii"))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
