// New articles arrive on an open list page without a reload (server-sent events). The
// page works without this script; with it, each new card is put at the top of the list
// and announced to screen readers through the list's live region.
(function () {
  "use strict";
  var list = document.querySelector("[data-live]");
  if (!list || !window.EventSource) return;
  var status = document.getElementById("live-status");
  var english = /^en\b/i.test(document.documentElement.lang || "en");
  var source = new EventSource(list.getAttribute("data-live"));

  function insert(html, id, title) {
    if (document.getElementById("article-" + id)) return;
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    var card = holder.content.firstElementChild;
    if (!card) return;
    card.classList.add("fresh");
    var first = list.querySelector("article.card");
    list.insertBefore(card, first || null);
    // The word comes from the page (data-new), in the page's language.
    if (status) status.textContent = (status.getAttribute("data-new") || "New:") + " " + title;
  }

  source.addEventListener("article", function (message) {
    var event = JSON.parse(message.data);
    var id = event.card.id;
    if (document.getElementById("article-" + id)) return;
    if (english) {
      insert(event.html, id, event.card.title);
      return;
    }
    // The event's card is built once for every reader, in English; a page in another
    // language asks tagwire for the card in its own (the browser sends Accept-Language).
    fetch("/articles/" + id + "/card", { headers: { Accept: "text/html" } })
      .then(function (answer) { return answer.ok ? answer.text() : event.html; })
      .catch(function () { return event.html; })
      .then(function (html) { insert(html, id, event.card.title); });
  });
})();
