"""People, organisations and places: NER (``ner``), name resolution (``names``, ``places``)
and hashtags (``hashtags``)."""
