/* The consumption chart of the bill history page (templates/billing/history.html).
   Data come from the JSON island #consumption-chart-data (Django's json_script), so the page
   needs no inline script: {unit, labels: ["1403/01", …], current: [kWh…], previous: [kWh|null…]}.
   Each period is drawn beside the same period a year earlier; a missing year is a gap. */
(function () {
  "use strict";

  var PERSIAN = "۰۱۲۳۴۵۶۷۸۹";

  function fa(value) {
    return String(value).replace(/[0-9]/g, function (d) { return PERSIAN[Number(d)]; });
  }

  function grouped(value) {
    return fa(Number(value).toLocaleString("en-US").replace(/,/g, "٬"));
  }

  function draw() {
    var canvas = document.getElementById("consumption-chart");
    var source = document.getElementById("consumption-chart-data");
    if (!canvas || !source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var font = { family: "Vazirmatn, Tahoma, sans-serif" };
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels.map(fa),
        datasets: [
          {
            label: "مصرف این دوره",
            data: data.current,
            backgroundColor: "#0b6b66",
          },
          {
            label: "همان دوره در سال قبل",
            data: data.previous,
            backgroundColor: "#f2a900",
          },
        ],
      },
      options: {
        responsive: true,
        aspectRatio: 2.2,
        animation: false,
        locale: "fa-IR",
        scales: {
          x: { reverse: true, ticks: { font: font } },
          y: {
            beginAtZero: true,
            position: "right",
            title: { display: true, text: data.unit, font: font },
            ticks: { font: font, callback: function (value) { return grouped(value); } },
          },
        },
        plugins: {
          legend: { rtl: true, textDirection: "rtl", labels: { font: font } },
          tooltip: {
            rtl: true,
            textDirection: "rtl",
            titleFont: font,
            bodyFont: font,
            callbacks: {
              label: function (ctx) {
                if (ctx.raw === null || ctx.raw === undefined) {
                  return ctx.dataset.label + ": بدون صورتحساب";
                }
                return ctx.dataset.label + ": " + grouped(ctx.raw) + " " + data.unit;
              },
            },
          },
        },
      },
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
