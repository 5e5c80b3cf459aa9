// The programme map: cities (or countries) and their mentoring ties as arcs, drawn offline from the
// vendored Natural Earth TopoJSON (world-atlas) with d3-geo and topojson-client. No tiles, no inline
// script: the figure's data-* attributes name the JSON to load. The table next to the map holds the same
// ties and stays the reference without JavaScript; the filters apply to both.
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var STATUS_COLOURS = { approved: "#b5651d", endorsed: "#8a5a00", active: "#0b6e6e", completed: "#2e7d32", mentorship: "#0b6e6e" };
  var REGION_COLOURS = {
    africa: "#b5651d", asia_pacific: "#7b3fa0", eurasia: "#1f5fa8", europe: "#0b6e6e",
    latin_america: "#c0392b", middle_east_west_asia: "#8a6d00", north_america: "#2e7d32"
  };

  function el(name, attrs) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    return node;
  }

  function fetchJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }

  function filtersOf(figure) {
    var out = {};
    var form = document.getElementById(figure.getAttribute("data-filters") || "");
    if (!form) { return out; }
    form.querySelectorAll("[data-map-filter]").forEach(function (input) {
      if (input.value) { out[input.getAttribute("data-map-filter")] = input.value; }
    });
    return out;
  }

  function edgeMatches(edge, nodes, f) {
    if (f.round && String(edge.round) !== f.round) { return false; }
    if (f.status && edge.status !== f.status) { return false; }
    if (f.area && (edge.areas || []).indexOf(f.area) < 0) { return false; }
    var a = nodes[edge.source], b = nodes[edge.target];
    if (!a || !b) { return false; }
    if (f.region && a.region !== f.region && b.region !== f.region) { return false; }
    if (f.commission && (a.commissions || []).indexOf(f.commission) < 0 &&
        (b.commissions || []).indexOf(f.commission) < 0) { return false; }
    return true;
  }

  function draw(figure, world, data) {
    var width = 960, height = 500;
    var colourBy = figure.getAttribute("data-colour") || "status";
    var projection = window.d3.geoNaturalEarth1().fitExtent([[8, 8], [width - 8, height - 8]], { type: "Sphere" });
    var path = window.d3.geoPath(projection);
    var svg = el("svg", { viewBox: "0 0 " + width + " " + height, class: "pmap__svg", role: "group",
                          "aria-label": data.labels.map });
    svg.appendChild(el("path", { d: path({ type: "Sphere" }), class: "pmap__sphere" }));
    var land = window.topojson.feature(world, world.objects.countries);
    var countries = el("g", { class: "pmap__land", "aria-hidden": "true" });
    land.features.forEach(function (feature) { countries.appendChild(el("path", { d: path(feature) })); });
    svg.appendChild(countries);
    var arcs = el("g", { class: "pmap__arcs", "aria-hidden": "true" });
    var dots = el("g", { class: "pmap__dots" });
    svg.appendChild(arcs);
    svg.appendChild(dots);
    var holder = figure.querySelector(".pmap__canvas");
    holder.textContent = "";
    holder.appendChild(svg);

    var nodes = {};
    data.nodes.forEach(function (n) { nodes[n.id] = n; });

    function render() {
      var f = filtersOf(figure);
      arcs.textContent = "";
      dots.textContent = "";
      var active = {};
      var shown = data.edges.filter(function (e) { return edgeMatches(e, nodes, f); });
      shown.forEach(function (e) {
        var a = nodes[e.source], b = nodes[e.target];
        active[e.source] = (active[e.source] || 0) + (e.ties || 1);
        active[e.target] = (active[e.target] || 0) + (e.ties || 1);
        var p = projection([a.longitude, a.latitude]), q = projection([b.longitude, b.latitude]);
        var dx = q[0] - p[0], dy = q[1] - p[1], bend = Math.sqrt(dx * dx + dy * dy) * 0.25;
        var mx = (p[0] + q[0]) / 2 - dy / (Math.sqrt(dx * dx + dy * dy) || 1) * bend;
        var my = (p[1] + q[1]) / 2 + dx / (Math.sqrt(dx * dx + dy * dy) || 1) * bend;
        var colour = colourBy === "region" ? REGION_COLOURS[a.region] : STATUS_COLOURS[e.status];
        arcs.appendChild(el("path", {
          d: "M" + p[0] + "," + p[1] + " Q" + mx + "," + my + " " + q[0] + "," + q[1],
          stroke: colour || "#0b6e6e", "stroke-width": Math.min(1.2 + (e.ties || 1) * 0.6, 5),
          class: "pmap__arc", "data-source": e.source, "data-target": e.target
        }));
      });
      data.nodes.forEach(function (n) {
        var count = active[n.id] || 0;
        if (f.region && n.region !== f.region && !count) { return; }
        var xy = projection([n.longitude, n.latitude]);
        if (!xy) { return; }
        var r = 3 + Math.sqrt(count) * 2.2;
        var label = n.name + " (" + (n.region_label || n.region) + "): " + count + " " + data.labels.ties;
        var dot = el("circle", { cx: xy[0], cy: xy[1], r: r, tabindex: "0", role: "img", "aria-label": label,
                                 class: "pmap__dot" + (count ? "" : " pmap__dot--idle"),
                                 fill: REGION_COLOURS[n.region] || "#555", "data-id": n.id });
        var title = el("title", {});
        title.textContent = label;
        dot.appendChild(title);
        dot.addEventListener("focus", function () { highlight(n.id); });
        dot.addEventListener("mouseenter", function () { highlight(n.id); });
        dot.addEventListener("blur", function () { highlight(null); });
        dot.addEventListener("mouseleave", function () { highlight(null); });
        dots.appendChild(dot);
      });
      var status = figure.querySelector(".pmap__status");
      if (status) { status.textContent = shown.length + " / " + data.edges.length; }
      filterTable(f);
    }

    function highlight(id) {
      arcs.querySelectorAll(".pmap__arc").forEach(function (arc) {
        var on = id === null || arc.getAttribute("data-source") === String(id) ||
                 arc.getAttribute("data-target") === String(id);
        arc.classList.toggle("pmap__arc--dim", !on);
      });
    }

    function filterTable(f) {
      var table = document.getElementById(figure.getAttribute("data-table") || "");
      if (!table) { return; }
      table.querySelectorAll("tbody tr[data-source]").forEach(function (row) {
        var edge = {
          source: row.getAttribute("data-source"), target: row.getAttribute("data-target"),
          status: row.getAttribute("data-status"), round: row.getAttribute("data-round"),
          areas: (row.getAttribute("data-areas") || "").split(" ").filter(Boolean)
        };
        row.hidden = !edgeMatches(edge, nodes, f);
      });
    }

    var form = document.getElementById(figure.getAttribute("data-filters") || "");
    if (form) {
      form.addEventListener("change", render);
      form.addEventListener("submit", function (event) { event.preventDefault(); render(); });
    }
    render();
  }

  function init(figure) {
    if (!window.d3 || !window.d3.geoPath || !window.topojson) { return; }
    Promise.all([fetchJSON(figure.getAttribute("data-atlas")), fetchJSON(figure.getAttribute("data-src"))])
      .then(function (both) { draw(figure, both[0], both[1]); figure.classList.add("pmap--ready"); })
      .catch(function () { figure.classList.add("pmap--failed"); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("figure.pmap[data-src]").forEach(init);
  });
}());
