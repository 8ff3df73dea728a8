/**
 * The console's browser side: draws every chart described in the page's JSON data block with
 * Chart.js (served locally), marks each canvas `data-drawn` once drawn, puts a chosen PSKC file
 * into its form's text field, and says "Importing…" while a form is being sent.
 */
export const CONSOLE_SCRIPT = `(function () {
  var colors = ['#2450d3', '#2e7d32', '#f0b400', '#c62828', '#6a1b9a', '#00838f', '#56607a', '#8d6e63'];
  var data = document.getElementById('console-charts');
  if (data && window.Chart) {
    JSON.parse(data.textContent).forEach(function (spec) {
      var canvas = document.getElementById(spec.id);
      if (!canvas) return;
      var pie = spec.type === 'doughnut';
      new window.Chart(canvas, {
        type: spec.type,
        data: {
          labels: spec.labels,
          datasets: spec.datasets.map(function (d, i) {
            var c = pie ? colors : colors[i % colors.length];
            return { label: d.label, data: d.data, backgroundColor: c, borderColor: c };
          })
        },
        options: {
          animation: false,
          responsive: false,
          plugins: { legend: { display: pie || spec.datasets.length > 1 } },
          scales: pie ? {} : { y: { beginAtZero: true } }
        }
      });
      canvas.setAttribute('data-drawn', 'true');
    });
  }
  document.querySelectorAll('input[type=file][data-into]').forEach(function (input) {
    input.addEventListener('change', function () {
      var target = document.getElementById(input.getAttribute('data-into'));
      var file = input.files && input.files[0];
      if (!file || !target) return;
      file.text().then(function (text) { target.value = text; });
    });
  });
  document.querySelectorAll('button[data-progress]').forEach(function (button) {
    var form = button.form;
    form.addEventListener('submit', function () {
      var status = form.querySelector('[role=status]');
      if (status) status.textContent = button.getAttribute('data-progress');
      button.disabled = true;
    });
  });
})();
`;
