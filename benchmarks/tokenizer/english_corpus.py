# Writes ~1 MB of English text: the docstrings of common Python standard-library modules.
import importlib, inspect, sys
modules = ["collections", "json", "textwrap", "string", "re", "argparse", "logging", "subprocess", "threading", "email",
           "http.client", "unittest", "asyncio", "typing", "dataclasses", "pathlib", "decimal", "fractions", "random",
           "statistics", "csv", "sqlite3", "xml.dom.minidom", "html.parser", "urllib.request", "zipfile", "tarfile",
           "shutil", "os", "io"]
docs = []
for name in modules:
    try:
        module = importlib.import_module(name)
    except Exception:
        continue
    docs += [d for _, obj in inspect.getmembers(module) if (d := inspect.getdoc(obj))]
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write("\n\n".join(docs))
