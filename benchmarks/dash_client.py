"""A small Dash client: sends what the browser's dash-renderer sends when a page loads.

It reads the app layout (``/_dash-layout``) and callback map (``/_dash-dependencies``),
sets the ``dcc.Location`` properties as the browser does on mount (pathname, search, hash,
href), then fires every callback that the renderer fires: those triggered by a changed
property, and those with ``prevent_initial_call`` false whose inputs are on the page. It
applies each response to its copy of the layout and carries on until nothing is pending.
The request bodies have the renderer's exact shape (``output``, ``outputs``, ``inputs``,
``changedPropIds``, ``parsedChangedPropsIds`` and ``state`` when the callback has state).
Pattern-matching ids (``ALL``, ``MATCH``) are resolved against the components present.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

UPDATE = "/_dash-update-component"
MULTI_VALUED = ("ALL", "ALLSMALLER")
MAX_CALLS = 60  # per page view: a bound against callback loops
LOCATION_PROPS = ("pathname", "search", "hash", "href")


class Transport(Protocol):
    def get(self, path: str) -> tuple[int, bytes]: ...

    def post(self, path: str, body: bytes) -> tuple[int, bytes]: ...


@dataclass
class Call:
    """One callback request as sent, with what came back."""

    output: str
    body: bytes
    status: int = 0
    seconds: float = 0.0
    queries: list = field(default_factory=list)  # filled by a recording transport


def key(component_id: Any) -> str:
    """Dash's string form of a component id (dict ids: sorted, compact JSON)."""
    if isinstance(component_id, dict):
        return json.dumps(component_id, sort_keys=True, separators=(",", ":"))
    return str(component_id)


def walk(node: Any, found: dict[str, dict]) -> None:
    """Collect every component (dict with type and props) under ``node`` by id."""
    if isinstance(node, list):
        for child in node:
            walk(child, found)
    elif isinstance(node, dict):
        props = node.get("props") if "type" in node else None
        if isinstance(props, dict):
            if props.get("id") is not None:
                found[key(props["id"])] = node
            for value in props.values():
                walk(value, found)


def split_output(output: str) -> list[tuple[str, str]]:
    """``id.prop`` or ``..a.x...b.y..`` -> [(id, prop), ...]."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [(p[:p.rindex(".")], p[p.rindex(".") + 1:]) for p in parts if "." in p]


def _pattern(text: str) -> Any:
    return json.loads(text) if text.startswith("{") else text


def _wild(value: Any) -> str | None:
    return value[0] if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str) else None


class Page:
    """The client's copy of one page's components while its callbacks run."""

    def __init__(self, layout: Any, callbacks: list[dict]):
        self.components: dict[str, dict] = {}
        walk(layout, self.components)
        self.callbacks = [c for c in callbacks if not c.get("clientside_function")]

    def props(self, component_key: str) -> dict:
        return self.components[component_key].setdefault("props", {})

    def resolve(self, dep_id: str, match: dict) -> tuple[bool, list[Any]]:
        """(multi-valued, concrete ids) of a dependency id under the MATCH values given."""
        pattern = _pattern(dep_id)
        if isinstance(pattern, str):
            return False, [pattern] if pattern in self.components else []
        multi = any(_wild(v) in MULTI_VALUED for v in pattern.values())
        found = []
        for node in self.components.values():
            cid = node["props"]["id"]
            if isinstance(cid, dict) and cid.keys() == pattern.keys() and all(
                    (_wild(v) in MULTI_VALUED) or (_wild(v) == "MATCH" and match.get(k, cid[k]) == cid[k])
                    or v == cid[k] for k, v in pattern.items()):
                found.append(cid)
        return multi, found

    def fill(self, deps: list[dict], match: dict, values: bool) -> list | None:
        """Inputs, state or outputs as the renderer sends them; None if one is missing."""
        out: list = []
        for dep in deps:
            multi, ids = self.resolve(dep["id"], match)
            entries = [self._entry(cid, dep["property"], values) for cid in ids]
            if multi:
                out.append(entries)
            elif entries:
                out.append(entries[0])
            else:
                return None
        return out

    def _entry(self, cid: Any, prop: str, values: bool) -> dict:
        entry = {"id": cid, "property": prop}
        props = self.props(key(cid))
        if values and prop in props:
            entry["value"] = props[prop]
        return entry

    def matches_of(self, spec: dict) -> list[dict]:
        """One MATCH binding per component the first MATCH input selects ([{}] without MATCH)."""
        for dep in spec["inputs"]:
            pattern = _pattern(dep["id"])
            if isinstance(pattern, dict):
                keys = [k for k, v in pattern.items() if _wild(v) == "MATCH"]
                if keys:
                    return [{k: cid[k] for k in keys} for cid in self.resolve(dep["id"], {})[1]]
        return [{}]

    def body(self, spec: dict, match: dict, changed: list[str]) -> dict | None:
        inputs = self.fill(spec["inputs"], match, True)
        state = self.fill(spec.get("state") or [], match, True)
        outs = [{"id": _pattern(i), "property": p} for i, p in split_output(spec["output"])]
        outputs = self.fill(outs, match, False) if not spec.get("no_output") else []
        if inputs is None or state is None or outputs is None:
            return None
        body: dict[str, Any] = {
            "output": spec["output"], "outputs": outputs if spec["output"].startswith("..") else outputs[0],
            "inputs": inputs, "changedPropIds": changed,
            "parsedChangedPropsIds": [_pattern(c[:c.rindex(".")]) if c.startswith("{") else c for c in changed]}
        if spec.get("state"):
            body["state"] = state
        return body

    def input_ids(self, spec: dict, match: dict) -> set[str]:
        return self._ids(spec["inputs"], match)

    def output_ids(self, spec: dict, match: dict) -> set[str]:
        deps = [{"id": i, "property": p.split("@")[0]} for i, p in split_output(spec["output"])]
        return self._ids(deps, match)

    def _ids(self, deps: list[dict], match: dict) -> set[str]:
        found = set()
        for dep in deps:
            for cid in self.resolve(dep["id"], match)[1]:
                found.add(f"{key(cid)}.{dep['property']}")
        return found

    def apply(self, response: dict) -> tuple[set[str], set[str]]:
        """Apply a callback response; returns (changed 'id.prop's, ids of new components)."""
        changed, new = set(), set()
        updates = dict(response.get("response") or {})
        for cid, props in (response.get("sideUpdate") or {}).items():
            updates.setdefault(cid, {}).update(props)
        for cid, props in updates.items():
            if cid not in self.components:
                continue
            for prop, value in props.items():
                self.props(cid)[prop] = value
                changed.add(f"{cid}.{prop}")
                before = set(self.components)
                walk(value, self.components)
                new |= set(self.components) - before
        return changed, new


def nav_paths(layout: Any, exclude: tuple[str, ...] = ()) -> list[str]:
    """The site paths the layout links to (links and anchors), without sign-out, downloads and
    the paths starting with one of ``exclude``."""
    links, stack = {"/"}, [layout]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            props = node.get("props") or {}
            href = props.get("href") if isinstance(props, dict) else None
            if node.get("type") in ("A", "Link") and isinstance(href, str) and href.startswith("/"):
                links.add(href.split("?")[0].split("#")[0])
            stack.extend(props.values() if isinstance(props, dict) else [])
    skip = ("/logout", "/login", "/api", "/download", "/_", *exclude)
    return sorted(p for p in links if not p.startswith(skip))


def _location_changes(page: Page, path: str, search: str, origin: str) -> set[str]:
    """Set every dcc.Location as the browser does on mount; returns the changed 'id.prop's."""
    values = {"pathname": path, "search": search, "hash": "", "href": origin + path + search}
    changed = set()
    for cid, node in page.components.items():
        if node.get("type") == "Location":
            for prop in LOCATION_PROPS:
                if page.props(cid).get(prop) != values[prop]:
                    page.props(cid)[prop] = values[prop]
                    changed.add(f"{cid}.{prop}")
    return changed


def _queue(page: Page, pending: dict, changed: set[str], new: set[str] | None) -> None:
    """Add the callbacks that ``changed`` props trigger, and the initial calls of ``new`` components."""
    for spec in page.callbacks:
        for match in page.matches_of(spec):
            inputs = page.input_ids(spec, match)
            hit = sorted(inputs & changed)
            initial = not spec.get("prevent_initial_call") and (
                new is None or any(i.rsplit(".", 1)[0] in new for i in inputs | page.output_ids(spec, match)))
            if hit or initial:
                slot = (spec["output"], json.dumps(match, sort_keys=True))
                known = pending.get(slot, (spec, match, []))[2]
                pending[slot] = (spec, match, sorted(set(known) | set(hit)))


def _ready(page: Page, pending: dict) -> list:
    """Pending callbacks none of whose inputs another pending callback will still change."""
    outputs = {slot: page.output_ids(spec, match) for slot, (spec, match, _) in pending.items()}
    ready = []
    for slot, (spec, match, _) in pending.items():
        inputs = page.input_ids(spec, match)
        if not any(inputs & outs for other, outs in outputs.items() if other != slot):
            ready.append(slot)
    return ready or list(pending)[:1]


def page_view(transport: Transport, path: str, search: str = "", origin: str = "http://127.0.0.1") -> list[Call]:
    """Load one page as the browser does and return every callback request made."""
    layout = json.loads(transport.get("/_dash-layout")[1])
    page = Page(layout, json.loads(transport.get("/_dash-dependencies")[1]))
    pending: dict = {}
    _queue(page, pending, _location_changes(page, path, search, origin), None)
    calls: list[Call] = []
    while pending and len(calls) < MAX_CALLS:
        for slot in _ready(page, pending):
            spec, match, changed = pending.pop(slot)
            body = page.body(spec, match, changed)
            if body is None:
                continue
            call = Call(output=spec["output"], body=json.dumps(body).encode())
            started = time.perf_counter()
            call.status, data = transport.post(UPDATE, call.body)
            call.seconds = time.perf_counter() - started
            calls.append(call)
            if call.status == 200:
                changed_now, new = page.apply(json.loads(data))
                changed_now |= _location_changes(page, path, search, origin)  # a Location just added
                _queue(page, pending, changed_now, new)
    return calls
