/* Kelurahan maps (templates/reports/includes/map.html), drawn with the vendored Leaflet.
 *
 * data-boundaries: the boundaries GeoJSON (versioned URL, kept by the browser);
 * data-values: one month's values for the user's scope (class and sites per kelurahan);
 * data-site: the id of a json_script with one site (its kelurahan and point);
 * data-tiles / data-attribution: an optional basemap (empty: vector only, no internet).
 * No inline script or style= attribute: Leaflet positions its panes through element.style
 * (the CSSOM), which the CSP allows. Popups are built from DOM nodes with textContent, so
 * a site's name is never read as HTML.
 */
(function () {
  "use strict";

  var NO_SITE = "#e9ecef";
  var NOT_SCORED = "#ffffff";

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error(url + ": " + r.status);
        return r.json();
      });
  }

  function popup(feature, entry, values) {
    var box = el("div");
    box.appendChild(el("strong", values.labels.kel + " " + feature.properties.name));
    if (values.area && values.area.indexOf(feature.id) < 0) {
      box.appendChild(el("div", values.labels.outside, "text-body-secondary"));
      return box;
    }
    if (!entry) {
      box.appendChild(el("div", values.labels.no_site, "text-body-secondary"));
      return box;
    }
    var list = el("ul");
    entry.sites.forEach(function (site) {
      var item = el("li");
      var link = el("a", site.name);
      link.href = site.url;
      item.appendChild(link);
      item.appendChild(el("div", site.class_label, site.class ? "badge kkb-class-" + site.class : ""));
      if (site.report !== undefined) {
        item.appendChild(el("div", values.labels.report + ": " + site.report, "small"));
      }
      list.appendChild(item);
    });
    box.appendChild(list);
    return box;
  }

  function styleFor(feature, values) {
    if (feature.properties.level === "kecamatan") {
      return { color: "#212529", weight: 2.5, fill: false, interactive: false };
    }
    var base = { color: "#495057", weight: 1, fillOpacity: 0.75, className: "kkb-kel" };
    if (!values) return Object.assign(base, { fillColor: NO_SITE, fillOpacity: 0.3 });
    if (values.area && values.area.indexOf(feature.id) < 0) {
      return Object.assign(base, { fillOpacity: 0, color: "#adb5bd" });
    }
    var entry = values.kelurahan[feature.id];
    if (!entry) return Object.assign(base, { fillColor: NO_SITE, dashArray: "4 3" });
    return Object.assign(base, {
      fillColor: entry["class"] ? values.colors[entry["class"]] : NOT_SCORED,
    });
  }

  function draw(container, boundaries, values, site) {
    // No fade: a popup is readable (and its contrast measurable) as soon as it opens.
    var map = L.map(container, {
      zoomSnap: 0.25,
      fadeAnimation: false,
      attributionControl: !!container.dataset.tiles,
    });
    if (container.dataset.tiles) {
      L.tileLayer(container.dataset.tiles, {
        attribution: container.dataset.attribution || "",
        maxZoom: 19,
      }).addTo(map);
    }
    var features = boundaries.features;
    if (site) {
      // The site's kelurahan only, outlined, with its point when it has one.
      features = features.filter(function (f) {
        return f.id === site.kelurahan;
      });
    }
    var layer = L.geoJSON(
      { type: "FeatureCollection", features: features },
      {
        style: function (f) {
          if (site) return { color: "#0b5d4b", weight: 3, fillOpacity: 0.08, className: "kkb-kel" };
          return styleFor(f, values);
        },
        onEachFeature: function (f, path) {
          if (f.properties.level !== "kelurahan") return;
          path.on("add", function () {
            path.getElement().setAttribute("data-code", f.id);
          });
          if (!values) return;
          path.bindPopup(popup(f, values.kelurahan[f.id], values));
          path.bindTooltip(f.properties.name, { sticky: true });
        },
      }
    ).addTo(map);
    // Order: kecamatan outlines above the kelurahan fills.
    layer.eachLayer(function (l) {
      if (l.feature.properties.level === "kecamatan") l.bringToFront();
    });
    var bounds = layer.getBounds();
    var hasPoint = site && site.lat !== null;
    if (hasPoint) bounds.extend(L.latLng(site.lat, site.lng));
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
    if (hasPoint) {
      // Added once the map has a view (a circle marker projects itself when added).
      L.circleMarker([site.lat, site.lng], {
        radius: 7, color: "#fff", weight: 2, fillColor: "#d63384", fillOpacity: 1,
        className: "kkb-site-point",
      }).bindTooltip(site.name).addTo(map);
    }
    container.kkbMap = map;
    container.dataset.ready = "1";
  }

  function init(container) {
    var siteNode = container.dataset.site ? document.getElementById(container.dataset.site) : null;
    var site = siteNode ? JSON.parse(siteNode.textContent) : null;
    var requests = [getJSON(container.dataset.boundaries)];
    if (container.dataset.values) requests.push(getJSON(container.dataset.values));
    Promise.all(requests)
      .then(function (answers) {
        draw(container, answers[0], answers[1] || null, site);
      })
      .catch(function (error) {
        if (window.console) console.error("map " + container.id + ": " + error);
        container.dataset.ready = "error";
        container.textContent = container.getAttribute("data-error") || "";
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof L === "undefined") return;
    document.querySelectorAll(".kkb-map").forEach(init);
  });
})();
