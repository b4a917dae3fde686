KIND_SUFFIX = "-sibling-ok"
