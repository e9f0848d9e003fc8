/* The interactive API reference, drawn by Swagger UI from the project's own files (no CDN). */
(function () {
  "use strict";
  window.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("swagger-ui");
    window.SwaggerUIBundle({
      url: el.dataset.openapi, dom_id: "#swagger-ui", deepLinking: true,
      presets: [window.SwaggerUIBundle.presets.apis], layout: "BaseLayout", validatorUrl: null
    });
  });
})();
