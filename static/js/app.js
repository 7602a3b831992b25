// ChannelHub page behaviour. One static file, no inline scripts (CSP-friendly).
(function () {
  "use strict";
  // Confirm buttons that carry data-confirm before their form submits.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
})();
