"""Summarize a junit xml: counts, every failing test with the first line of its failure, and the
deselected tests by category. If harness/causes.json exists ({test name: cause}), causes are added
and grouped by frequency."""
import collections
import json
import pathlib
import sys
import xml.etree.ElementTree as ET

junit, deselected_path, spec_path = sys.argv[1:4]
causes_path = pathlib.Path(__file__).with_name("causes.json")
causes = json.loads(causes_path.read_text()) if causes_path.exists() else {}
MODE = "shared" if "shared" in pathlib.Path(junit).name else "fresh"


def cause_of(name):
    entry = causes.get(name) or causes.get(name.split("[")[0])
    if entry is None:
        return "?"
    if isinstance(entry, str):
        return entry
    return entry.get(MODE) or entry["cause"]
root = ET.parse(junit).getroot()
rows, counts = [], collections.Counter()
for tc in root.iter("testcase"):
    name = tc.get("name")
    status, msg = "passed", ""
    for tag in ("failure", "error", "skipped"):
        el = tc.find(tag)
        if el is not None:
            status = tag
            if tag == "skipped" and (el.get("type") == "pytest.xfail" or "xfail" in (el.get("message") or "")):
                status = "xfailed"
            msg = (el.get("message") or el.text or "").strip().splitlines()
            msg = msg[0][:200] if msg else ""
    counts[status] += 1
    rows.append((name, status, msg, float(tc.get("time", 0))))

dese = json.loads(pathlib.Path(deselected_path).read_text()) if pathlib.Path(deselected_path).exists() else []
spec = json.loads(pathlib.Path(spec_path).read_text())
print(f"# {junit}\n")
print(f"passed {counts['passed']}, failed {counts['failure']}, errors {counts['error']}, "
      f"skipped {counts['skipped']}, xfailed {counts['xfailed']}, deselected {len(dese)}\n")
print("| test | status | cause | first line of the failure |\n|---|---|---|---|")
for name, status, msg, _ in rows:
    if status in ("failure", "error"):
        cause = cause_of(name)
        print(f"| {name} | {status} | {cause} | `{msg.replace('|', '/')}` |")
bad = [r for r in rows if r[1] in ("failure", "error")]
if causes:
    print("\n## causes by frequency\n")
    grp = collections.defaultdict(list)
    for name, *_ in bad:
        grp[cause_of(name)].append(name)
    for cause, names in sorted(grp.items(), key=lambda kv: -len(kv[1])):
        print(f"- **{len(names)}** {cause}: {', '.join(names)}")
print("\n## passed / xfailed / skipped\n")
for name, status, msg, _ in rows:
    if status not in ("failure", "error"):
        print(f"- {name}: {status}" + (f" ({msg})" if msg else ""))
print("\n## deselected\n")
bycat = collections.defaultdict(list)
for d in dese:
    bycat[d["category"]].append(d["nodeid"].split("::")[-1])
for cat, names in bycat.items():
    print(f"- **{cat}** ({len(names)}): {spec[cat]['reason']}. {', '.join(names)}")
