"""What the front ends ask for: the web pages, the JSON API, the webhooks and the CLI call
these functions and never each other, and get values back as the JSON shapes of
PRODUCT.md. One module per subject: ``parsing`` (what they pass in), ``shapes``
(the JSON), ``article_queries``, ``tag_queries``, ``explanations`` (why an article is in
its story and carries a tag) and ``admin`` (sources and curation)."""
