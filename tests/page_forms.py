"""A page's form as a browser would send it: the fields of the form with the given
`data-testid` and their values as drawn (text, hidden, checked boxes, selected options,
text areas). Lets a test load a page as two users and send each one's form later."""

from __future__ import annotations

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, testid: str):
        super().__init__(convert_charrefs=True)
        self.testid, self.inside, self.found = testid, False, False
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("data-testid") == self.testid:
            self.inside = self.found = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[name] = a.get("value", "on")
            elif kind not in ("file", "submit", "button"):
                self.values[name] = a.get("value", "")
        elif tag == "select" and name and "disabled" not in a:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea:
                self.values[self._textarea] = self.values[self._textarea].lstrip("\n")
            self._textarea = None
        elif tag == "form":
            self.inside = False


def form_values(html: str, testid: str) -> dict[str, str]:
    reader = _FormReader(testid)
    reader.feed(html)
    assert reader.found, f"no form {testid}"
    return reader.values
