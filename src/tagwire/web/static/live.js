// New articles arrive on an open list page without a reload (server-sent events). The
// page works without this script; with it, each new card is put at the top of the list
// and announced to screen readers through the list's live region.
(function () {
  "use strict";
  var list = document.querySelector("[data-live]");
  if (!list || !window.EventSource) return;
  var status = document.getElementById("live-status");
  var source = new EventSource(list.getAttribute("data-live"));
  source.addEventListener("article", function (message) {
    var event = JSON.parse(message.data);
    if (document.getElementById("article-" + event.card.id)) return;
    var holder = document.createElement("template");
    holder.innerHTML = event.html.trim();
    var card = holder.content.firstElementChild;
    if (!card) return;
    card.classList.add("fresh");
    var first = list.querySelector("article.card");
    list.insertBefore(card, first || null);
    // The word comes from the page (data-new), in the page's language.
    if (status) status.textContent = (status.getAttribute("data-new") || "New:") + " " + event.card.title;
  });
})();
