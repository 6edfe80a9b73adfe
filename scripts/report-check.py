#!/usr/bin/env python3
"""Renders a `deadletter report` page in headless Chromium, as a reader's browser would, and says what it saw.

    report-check.py PAGE.html OUTDIR [WIDTH]

Writes OUTDIR/dom.html (the DOM after loading) and OUTDIR/page.png (a screenshot WIDTH pixels wide, 1100 by
default), and prints one JSON object:
    console        the messages the page logged (a Content-Security-Policy violation is one)
    pageRequests   the URLs the page itself asked for (initiator: the page's own opaque file:// origin)
    tags           every element name in the DOM, with its count
    events         attributes named on* anywhere (event handlers)
    links          href/src/xlink:href/action attribute values anywhere
    title          the document title
    totals         {name: value} of the elements with data-total
    tables         {table: [[key, count], ...]} of rows with data-key and their first data-count cell
    chart          {"unit", "plotHeight", "largest", "bars": [[start, count, height of its rects added up]]}
    textLength     the length of the page's visible text

The browser's own background requests (update checks) are not the page's: they have no page initiator, and
the host resolver rule below leaves every name unresolved, so nothing leaves this machine either way.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser

FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-default-apps", "--no-first-run", "--disable-domain-reliability",
         "--disable-client-side-phishing-detection", "--no-default-browser-check", "--disable-spell-checking",
         "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication,SpellCheck",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]


def chromium(extra, page):
    profile = tempfile.mkdtemp(prefix="report-check-")
    try:
        net = os.path.join(profile, "net.json")
        run = subprocess.run(["chromium"] + FLAGS + ["--user-data-dir=" + profile, "--log-net-log=" + net] + extra + ["file://" + page],
                             capture_output=True, timeout=180)
        requests = set()
        if os.path.exists(net):
            try:
                log = json.load(open(net))
            except ValueError:
                # A log cut short at exit: read the events that were written.
                text = open(net).read().rstrip().rstrip(",")
                log = json.loads(text + "]}") if '"events"' in text else {"events": []}
            for event in log.get("events", []):
                params = event.get("params", {})
                initiator = params.get("initiator")
                if "url" in params and initiator is not None and (initiator == "null" or initiator.startswith("file:")):
                    requests.add(params["url"])
        console = [line for line in run.stderr.decode(errors="replace").splitlines() if ":CONSOLE" in line]
        return run.stdout, console, requests
    finally:
        shutil.rmtree(profile, ignore_errors=True)


class Inventory(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.events, self.links = {}, [], []
        self.title, self.in_title = "", False
        self.totals, self.tables, self.table = {}, {}, None
        self.row, self.row_count = None, None
        self.chart, self.bar = None, None
        self.text = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.events.append(name)
            if name.lower() in ("href", "src", "xlink:href", "action", "formaction", "srcset"):
                self.links.append(value)
        if tag == "title" and self.chart is None:
            self.in_title = True
        if "data-total" in a:
            self.totals[a["data-total"]] = a.get("data-value")
        if tag == "table" and "data-table" in a:
            self.table = a["data-table"]
            self.tables[self.table] = []
        if tag == "tr" and self.table is not None and "data-key" in a:
            self.row, self.row_count = a["data-key"], None
        if tag == "td" and self.row is not None and self.row_count is None and "data-count" in a:
            self.row_count = int(a["data-count"])
            self.tables[self.table].append([self.row, self.row_count])
        if tag == "svg" and a.get("data-chart") == "time":
            self.chart = {"unit": a.get("data-unit"), "plotHeight": float(a["data-plot-height"]), "largest": int(a["data-largest"]), "bars": []}
        if self.chart is not None and tag == "g" and "bar" in a.get("class", "").split():
            self.bar = [a["data-start"], int(a["data-count"]), 0.0]
            self.chart["bars"].append(self.bar)
        if self.bar is not None and tag == "rect":
            self.bar[2] += float(a.get("height", "0"))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        if tag == "table":
            self.table = None
        if tag == "tr":
            self.row = None
        if tag == "g":
            self.bar = None
        if tag == "svg" and self.chart is not None and self.bar is None:
            self.done_chart = True

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        self.text += len(data.strip())


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    page, out = os.path.abspath(argv[1]), argv[2]
    width = argv[3] if len(argv) > 3 else "1100"
    os.makedirs(out, exist_ok=True)
    dom, console, requests = chromium(["--dump-dom"], page)
    open(os.path.join(out, "dom.html"), "wb").write(dom)
    _, console2, requests2 = chromium(["--window-size=%s,1400" % width, "--screenshot=" + os.path.join(out, "page.png")], page)
    inventory = Inventory()
    inventory.feed(dom.decode("utf-8", errors="replace"))
    print(json.dumps({"console": console + console2, "pageRequests": sorted(requests | requests2), "tags": inventory.tags,
                      "events": inventory.events, "links": inventory.links, "title": inventory.title, "totals": inventory.totals,
                      "tables": inventory.tables, "chart": inventory.chart, "textLength": inventory.text}))


if __name__ == "__main__":
    main(sys.argv)
