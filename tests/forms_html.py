"""Reading a re-rendered form as the browser would: what each field holds and the message shown
beside it (the element `<id>-errore` its aria-describedby names). Stdlib html.parser only."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    """A form's fields as name → list of values (checked boxes, selected options, typed text),
    each input's attributes by id, and the error texts by the id of the element carrying them."""

    values: dict[str, list[str]] = field(default_factory=dict)
    inputs: dict[str, dict[str, str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def value(self, name: str) -> str:
        return (self.values.get(name) or [""])[0]

    def error_of(self, input_id: str) -> str:
        """The message beside the input `input_id` (its `<id>-errore` element), or ""."""
        return self.errors.get(f"{input_id}-errore", "")


class _Reader(HTMLParser):
    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action, self.form, self.inside = action, Form(), False
        self.select: str | None = None
        self.textarea: str | None = None
        self.error: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("action", "").endswith(self.action):
            self.inside = True
        if not self.inside:
            return
        if "id" in a and a["id"].endswith("-errore"):
            self.error, self.text = a["id"], []
        if tag in ("input", "select", "textarea") and "id" in a:
            self.form.inputs[a["id"]] = a
        if tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            if a.get("type") != "file":
                self.form.values.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "select":
            self.select = a.get("name")
        elif tag == "option" and self.select and "selected" in a:
            self.form.values.setdefault(self.select, []).append(a.get("value", ""))
        elif tag == "textarea":
            self.textarea, self.text = a.get("name"), []

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            # The browser drops the one line break that may follow <textarea> (HTML §13.2.6.4.7).
            typed = "".join(self.text).removeprefix("\r\n").removeprefix("\n")
            self.form.values.setdefault(self.textarea, []).append(typed)
            self.textarea = None
        elif tag in ("div", "p") and self.error:
            self.form.errors[self.error] = "".join(self.text).strip()
            self.error = None

    def handle_data(self, data: str) -> None:
        if self.textarea or self.error:
            self.text.append(data)


def read_form(html: str, action: str) -> Form:
    """The form of `html` whose action ends with `action`, as its fields now stand."""
    reader = _Reader(action)
    reader.feed(html)
    return reader.form
