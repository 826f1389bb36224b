"""The fetch stage: getting a publisher's bytes politely and safely.

- ``client``: HTTP GET with conditional requests, size and time caps, address policy
  (no private networks unless allowed) and charset decoding;
- ``politeness``: one request at a time per host, spaced (``redis_politeness`` shares the
  gate between processes through Redis);
- ``robots``: robots.txt rules and crawl delays, cached per host;
- ``discover``: a site's feeds from its home page (links, common paths).
"""
