"""No import circles in bot/ and checks/ (the layer contracts themselves run in `make lint`)."""
from __future__ import annotations

import grimp


def test_no_module_imports_one_that_imports_it_back():
    graph = grimp.build_graph("bot", "checks", exclude_type_checking_imports=True)
    circles = sorted({tuple(sorted((m, i))) for m in graph.modules for i in graph.find_modules_directly_imported_by(m)
                      if graph.chain_exists(importer=i, imported=m)})
    assert circles == []
