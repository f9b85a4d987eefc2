"""The ``a2i`` command line tool.

``a2i template check TEMPLATE [--input sample.json]`` checks a worker task template
the way ``cdk synth`` does (exit status 1 and one ``file:line:column: message`` line
per problem), for CI. ``a2i template preview TEMPLATE --input sample.json`` renders it
with a sample input into a standalone HTML page to open in a browser, or serves it on
localhost and re-renders it on every save (``--serve``). ``TEMPLATE`` may also name a
built-in template: ``builtin:text_classification`` and so on.

The sub-commands live in their own modules (``template``, ...) and are registered in
:mod:`constructs_a2i.cli.main`, whose ``main()`` is the ``a2i`` entry point.
"""

__all__: list[str] = []
